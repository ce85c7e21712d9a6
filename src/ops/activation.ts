/**
 * Activations that stay differentiable to any order on every backend.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * LeakyReLU with slope 0.2, with its own gradient `dy * step(x, 0.2)`: linear in `dy` and with a
 * zero derivative in `x`, so it differentiates again (tfjs' leakyRelu gradient does not).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { leakyRelu } from "./activation.ts";
 * leakyRelu(tf.tensor([-1, 2])).print(); // [-0.2, 2]
 * ```
 */
export function leakyRelu<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((xIn, save) => {
    (save as tf.GradSaveFunc)([xIn as tf.Tensor]);
    return {
      value: tf.leakyRelu(xIn as tf.Tensor, 0.2),
      gradFunc: (dy: tf.Tensor, [input]: tf.Tensor[]) => tf.mul(dy, tf.step(input, 0.2)),
    };
  });
  return op(x) as T;
}
