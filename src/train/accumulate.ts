/**
 * Gradient accumulation over micro-batches: a batch too large for memory (the wasm heap stops at
 * 4 GiB) runs as several forward/backward passes whose gradients add up to the full batch's.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Start and size of each micro-batch of a `batch` split into pieces of at most `micro`. */
export function microBatches(batch: number, micro?: number): { start: number; size: number }[] {
  const size = Math.max(1, Math.min(micro ?? batch, batch));
  const out = [];
  for (let start = 0; start < batch; start += size) {
    out.push({ start, size: Math.min(size, batch - start) });
  }
  return out;
}

/**
 * Sums `tf.variableGrads` of `loss(start, size) * size / batch` over the micro-batches, so that a
 * loss written as a batch mean gets the full batch's gradient. Returns the accumulated gradients
 * (keyed by variable name; variables the loss does not reach are absent) and the loss value.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { accumulateGradients } from "./accumulate.ts";
 * const w = tf.variable(tf.ones([3]));
 * const x = tf.randomNormal([8, 3]);
 * const loss = (start: number, size: number) => tf.mean(tf.matMul(tf.slice(x, [start, 0], [size, 3]), tf.reshape(w, [3, 1]))) as tf.Scalar;
 * const { grads, value } = accumulateGradients(loss, { variables: [w], batch: 8, microBatch: 3 });
 * ```
 */
export function accumulateGradients(
  loss: (start: number, size: number) => tf.Scalar,
  options: { variables: tf.Variable[]; batch: number; microBatch?: number },
): { grads: tf.NamedTensorMap; value: tf.Scalar } {
  const { variables, batch, microBatch } = options;
  const pieces = microBatches(batch, microBatch);
  if (pieces.length === 1) {
    return tf.variableGrads(() => loss(0, batch), variables);
  }
  let grads: tf.NamedTensorMap = {};
  let value = tf.scalar(0);
  for (const { start, size } of pieces) {
    const part = tf.variableGrads(
      () => tf.mul(loss(start, size), size / batch) as tf.Scalar,
      variables,
    );
    const merged: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(part.grads)) {
      merged[name] = grads[name] ? tf.add(grads[name], g) : g;
      if (grads[name]) tf.dispose([grads[name], g]);
    }
    for (const [name, g] of Object.entries(grads)) if (!merged[name]) merged[name] = g;
    grads = merged;
    const total = tf.add(value, part.value) as tf.Scalar;
    tf.dispose([value, part.value]);
    value = total;
  }
  return { grads, value };
}
