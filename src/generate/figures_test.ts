import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../backend.ts";
import { decodeImage } from "../data/decode.ts";
import { loadGenerator } from "../io/load_generator.ts";
import { noiseVariation, truncationSweep } from "./figures.ts";
import { meanStyle } from "./sample.ts";

await initBackend({ backend: "wasm" });
const PARITY = new URL("../../../shared/parity/", import.meta.url);
const { generator: g } = await loadGenerator(new URL("g_running-only.model", PARITY));

function cells(t: tf.Tensor): Float32Array[] {
  const data = t.dataSync() as Float32Array;
  const size = t.size / t.shape[0];
  return Array.from({ length: t.shape[0] }, (_, k) => data.subarray(k * size, (k + 1) * size));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

Deno.test("noise variation: one latent, different noise, and the per-pixel standard deviation", async () => {
  const before = tf.memory().numTensors;
  const { images, std, png } = await noiseVariation(g, { seed: 3, draws: 6, show: 3, step: 3 });
  assert.deepEqual(images.shape, [6, 32, 32, 3]);
  assert.deepEqual(std.shape, [1, 32, 32, 1]);
  const draws = cells(images);
  assert.ok(maxDiff(draws[0], draws[1]) > 1e-3);
  // The standard deviation by hand, at a few pixels, averaged over RGB.
  const s = std.dataSync();
  for (const p of [0, 100, 1023]) {
    let total = 0;
    for (let c = 0; c < 3; c++) {
      const v = draws.map((d) => d[3 * p + c]);
      const m = v.reduce((a, b) => a + b) / v.length;
      total += Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    }
    assert.ok(Math.abs(s[p] - total / 3) < 1e-4, `pixel ${p}: ${s[p]} vs ${total / 3}`);
  }
  const picture = await decodeImage(png, "noise.png");
  assert.deepEqual([picture.width, picture.height], [4 * 34 + 2, 36]);
  tf.dispose([images, std]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("truncation sweep: psi 0 is the same mean image in every row, psi 1 is not", async () => {
  const mean = meanStyle(g, { samples: 2048 });
  const psis = [1, 0.5, 0, -1];
  const { images, png } = await truncationSweep(g, { n: 3, psis, meanStyle: mean, seed: 1 });
  assert.deepEqual(images.shape, [12, 32, 32, 3]);
  const grid = cells(images);
  const at = (row: number, col: number) => grid[row * psis.length + col];
  for (const row of [1, 2]) {
    assert.ok(maxDiff(at(row, 2), at(0, 2)) < 1e-5);
    assert.ok(maxDiff(at(row, 0), at(0, 0)) > 0.1);
  }
  const picture = await decodeImage(png, "truncation.png");
  assert.deepEqual([picture.width, picture.height], [4 * 34 + 2, 3 * 34 + 2]);
  tf.dispose([images, mean]);
});
