import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../backend.ts";
import { decodeImage } from "../data/decode.ts";
import { encodePng, gridFromBytes, toRasterFrames, toUint8, toUint8Grid } from "./image.ts";

await initBackend({ backend: "cpu" });

Deno.test("toUint8 maps [-1, 1] as torchvision's save_image and clamps", async () => {
  const x = tf.tensor4d([-2, -1, -0.5, 0, 0.5, 0.999, 1, 3, 0], [1, 1, 3, 3]);
  // (x + 1) / 2 * 255 + 0.5, floored, after clamping to [-1, 1]
  assert.deepStrictEqual([...await toUint8(x)], [0, 0, 64, 128, 191, 255, 255, 255, 128]);
  x.dispose();
});

Deno.test("toUint8 turns gray [N, H, W, 1] into RGB", async () => {
  const x = tf.tensor4d([-1, 1], [1, 1, 2, 1]);
  assert.deepStrictEqual([...await toUint8(x)], [0, 0, 0, 255, 255, 255]);
  x.dispose();
});

Deno.test("gridFromBytes places cells row-major with padding around and between", () => {
  // 3 images 1x2 px, every pixel of image k = k + 1
  const pixels = new Uint8Array(3 * 2 * 3).map((_, i) => Math.floor(i / 6) + 1);
  const grid = gridFromBytes(pixels, [3, 1, 2, 3], { cols: 2, padding: 1, padValue: 9 });
  assert.deepStrictEqual([grid.width, grid.height, grid.channels], [7, 5, 3]);
  const row = (y: number) =>
    [...grid.data.subarray(y * 21, y * 21 + 21)].filter((_, i) => i % 3 === 0);
  assert.deepStrictEqual(row(0), [9, 9, 9, 9, 9, 9, 9]);
  assert.deepStrictEqual(row(1), [9, 1, 1, 9, 2, 2, 9]);
  assert.deepStrictEqual(row(3), [9, 3, 3, 9, 9, 9, 9]);
  const rgba = gridFromBytes(pixels, [3, 1, 2, 3], { cols: 3, padding: 0, channels: 4 });
  assert.deepStrictEqual([...rgba.data.subarray(0, 8)], [1, 1, 1, 255, 1, 1, 1, 255]);
});

Deno.test("a PNG grid decodes back to its size and pixels", async () => {
  const images = tf.randomUniform([5, 6, 4, 3], -1, 1, "float32", 3) as tf.Tensor4D;
  const grid = await toUint8Grid(images, { cols: 3, padding: 2 });
  assert.deepStrictEqual([grid.width, grid.height], [3 * 6 + 2, 2 * 8 + 2]);
  const decoded = await decodeImage(encodePng(grid), "grid.png");
  assert.deepStrictEqual([decoded.width, decoded.height], [grid.width, grid.height]);
  const rgb = decoded.data.filter((_, i) => decoded.channels === 3 || i % 4 !== 3);
  assert.deepStrictEqual(rgb, grid.data);
  const frames = await toRasterFrames(images);
  assert.deepStrictEqual(frames.length, 5);
  assert.deepStrictEqual(frames[4].data, (await toUint8(images)).subarray(4 * 6 * 4 * 3));
  images.dispose();
});
