import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../backend.ts";
import { EqualConv2d } from "../layers/equalized.ts";
import { Initializer } from "../layers/init.ts";
import { accumulateGradients, microBatches } from "./accumulate.ts";

Deno.test("micro-batches accumulate the full batch's gradient", async () => {
  await initBackend({ backend: "cpu" });
  const conv = new EqualConv2d({
    inChannels: 3,
    outChannels: 4,
    kernel: 3,
    padding: 1,
    init: new Initializer(1),
  });
  const x = tf.randomNormal([7, 6, 6, 3], 0, 1, "float32", 2) as tf.Tensor4D;
  const loss = (start: number, size: number) =>
    tf.mean(tf.square(conv.apply(tf.slice(x, [start, 0, 0, 0], [size, 6, 6, 3])))) as tf.Scalar;
  assert.deepEqual(microBatches(7, 3), [{ start: 0, size: 3 }, { start: 3, size: 3 }, {
    start: 6,
    size: 1,
  }]);
  const full = accumulateGradients(loss, { variables: conv.variables(), batch: 7 });
  const parts = accumulateGradients(loss, { variables: conv.variables(), batch: 7, microBatch: 3 });
  assert(Math.abs((await full.value.data())[0] - (await parts.value.data())[0]) < 1e-5);
  for (const name of Object.keys(full.grads)) {
    const [a, b] = [await full.grads[name].data(), await parts.grads[name].data()];
    a.forEach((v, i) =>
      assert(Math.abs(v - b[i]) < 1e-4 * Math.max(1, Math.abs(v)), `${name}[${i}]`)
    );
  }
});
