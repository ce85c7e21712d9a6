import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../backend.ts";
import { conv2d, dilate, flipSpatial } from "./conv.ts";
import { avgPool2x, blur3x3, upsample2x } from "./resample.ts";
import { leakyRelu } from "./activation.ts";

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  assert.deepEqual(a.shape, b.shape);
  const [x, y] = [await a.data(), await b.data()];
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

// tfjs' own conv2d and its gradients on the cpu backend are the plain reference.
const CASES = [
  { k: 3, stride: 1, padding: 1, size: 8 },
  { k: 1, stride: 1, padding: 0, size: 8 },
  { k: 4, stride: 1, padding: 0, size: 4 },
  { k: 4, stride: 2, padding: 1, size: 8 },
  { k: 3, stride: 2, padding: 0, size: 9 },
];

Deno.test("conv2d and its gradients match tfjs' conv2d (cpu) for every shape the models use", async () => {
  await initBackend({ backend: "cpu" });
  for (const { k, stride, padding, size } of CASES) {
    const x = tf.randomNormal([2, size, size, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const w = tf.randomNormal([k, k, 3, 5], 0, 1, "float32", 2) as tf.Tensor4D;
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [padding, padding], [padding, padding], [
      0,
      0,
    ]];
    const ours = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.square(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, { stride, padding })));
    const theirs = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad)));
    const what = `k=${k} stride=${stride} padding=${padding}`;
    assert(
      await maxDiff(conv2d(x, w, { stride, padding }), tf.conv2d(x, w, stride, pad)) < 1e-5,
      what,
    );
    const [dxA, dwA] = tf.grads(ours)([x, w]);
    const [dxB, dwB] = tf.grads(theirs)([x, w]);
    assert(await maxDiff(dxA, dxB) < 1e-3, `dx ${what}`);
    assert(await maxDiff(dwA, dwB) < 1e-3, `dw ${what}`);
  }
});

Deno.test("dilate, flipSpatial, blur, resampling and leakyRelu match their definitions", async () => {
  await initBackend({ backend: "cpu" });
  const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  assert.deepEqual(Array.from(await dilate(x, 2).data()), [1, 0, 2, 0, 0, 0, 3, 0, 4]);
  const w = tf.randomNormal([3, 3, 2, 4], 0, 1, "float32", 3) as tf.Tensor4D;
  assert.equal(await maxDiff(flipSpatial(w), tf.reverse(w, [0, 1])), 0);
  const img = tf.randomNormal([2, 6, 6, 3], 0, 1, "float32", 4) as tf.Tensor4D;
  const kernel = tf.tile(
    tf.reshape(tf.tensor1d([1, 2, 1, 2, 4, 2, 1, 2, 1].map((v) => v / 16)), [3, 3, 1, 1]),
    [1, 1, 3, 1],
  );
  assert(
    await maxDiff(blur3x3(img), tf.depthwiseConv2d(img, kernel as tf.Tensor4D, 1, "same")) < 1e-6,
  );
  assert(await maxDiff(upsample2x(img), tf.image.resizeNearestNeighbor(img, [12, 12])) < 1e-7);
  assert(await maxDiff(avgPool2x(img), tf.avgPool(img, 2, 2, "valid")) < 1e-6);
  assert(await maxDiff(leakyRelu(img), tf.leakyRelu(img, 0.2)) === 0);
  // Gradients of the twice-differentiable forms equal tfjs' first-order ones.
  const dBlur = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(blur3x3(t as tf.Tensor4D), img)))(img);
  const dRef = tf.grad((t: tf.Tensor) =>
    tf.sum(tf.mul(tf.depthwiseConv2d(t as tf.Tensor4D, kernel as tf.Tensor4D, 1, "same"), img))
  )(img);
  assert(await maxDiff(dBlur, dRef) < 1e-5);
  const dLeaky = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(leakyRelu(t), img)))(img);
  const dLeakyRef = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(t, 0.2), img)))(img);
  assert.equal(await maxDiff(dLeaky, dLeakyRef), 0);
});
