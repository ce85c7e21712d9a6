import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../backend.ts";
import { decodeImage } from "../data/decode.ts";
import { loadGenerator } from "../io/load_generator.ts";
import { Rng } from "../rng.ts";
import { drawLatents, drawNoiseSeeds, noiseFromSeeds } from "./_random.ts";
import { meanStyle, renderLatents, resolveStep, sampleGrid } from "./sample.ts";

await initBackend({ backend: "wasm" });
const PARITY = new URL("../../../shared/parity/", import.meta.url);
const { generator: g } = await loadGenerator(new URL("g_running-only.model", PARITY));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

Deno.test("the same seed gives the same pixels and PNG bytes; another seed does not", async () => {
  const a = await sampleGrid(g, { n: 4, seed: 7, step: 2 });
  const b = await sampleGrid(g, { n: 4, seed: 7, step: 2 });
  const c = await sampleGrid(g, { n: 4, seed: 8, step: 2 });
  assert.deepEqual(a.images.shape, [4, 16, 16, 3]);
  assert.deepEqual(a.images.dataSync(), b.images.dataSync());
  assert.deepEqual(a.png, b.png);
  assert.ok(maxDiff(a.images.dataSync(), c.images.dataSync()) > 0.1);
  const png = await decodeImage(a.png, "samples.png");
  assert.deepEqual([png.width, png.height], [2 * 18 + 2, 2 * 18 + 2]);
  tf.dispose([a.images, b.images, c.images]);
});

Deno.test("an image does not depend on the batch it is rendered in", async () => {
  const a = await sampleGrid(g, { n: 5, seed: 3, batchSize: 2 });
  const b = await sampleGrid(g, { n: 5, seed: 3, batchSize: 5 });
  assert.ok(maxDiff(a.images.dataSync(), b.images.dataSync()) < 1e-4);
  tf.dispose([a.images, b.images]);
});

Deno.test("meanStyle is the mean of the mapped seeded latents, whatever the batch", () => {
  const whole = meanStyle(g, { seed: 2, samples: 1500, batchSize: 1500 });
  const batched = meanStyle(g, { seed: 2, samples: 1500, batchSize: 400 });
  const direct = tf.tidy(() =>
    tf.mean(g.mapping.apply(drawLatents(new Rng(2), 1500, g.config.styleDim)), 0, true)
  );
  assert.deepEqual(whole.shape, [1, g.config.styleDim]);
  assert.ok(maxDiff(whole.dataSync(), batched.dataSync()) < 1e-5);
  assert.ok(maxDiff(whole.dataSync(), direct.dataSync()) < 1e-5);
  tf.dispose([whole, batched, direct]);
});

Deno.test("truncation at psi 0 renders G(mean w) for every latent", async () => {
  const mean = meanStyle(g, { seed: 0, samples: 2048 });
  const { images } = await sampleGrid(g, {
    n: 3,
    seed: 5,
    psi: 0,
    meanStyle: mean,
    sharedNoise: true,
  });
  // The generator itself, fed the mean style and the grid's noise (drawn after the latents).
  const rng = new Rng(5);
  drawLatents(rng, 3, g.config.styleDim).dispose();
  const noise = noiseFromSeeds(drawNoiseSeeds(rng, 1, 4), 3);
  const expected = g.synthesize([mean], { noise });
  const want = expected.dataSync();
  const got = images.dataSync();
  const size = want.length;
  for (let k = 0; k < 3; k++) {
    assert.ok(maxDiff(got.subarray(k * size, (k + 1) * size), want) < 1e-4);
  }
  // psi 1 with the same noise differs from the mean image.
  const plain = await sampleGrid(g, { n: 1, seed: 5, sharedNoise: true });
  assert.ok(maxDiff(plain.images.dataSync(), want) > 0.1);
  tf.dispose([mean, images, expected, plain.images, ...noise]);
});

Deno.test("a truncation cutoff leaves the levels above it alone", () => {
  const mean = meanStyle(g, { seed: 0, samples: 1024 });
  const z = drawLatents(new Rng(1), 2, g.config.styleDim);
  const noiseSeeds = drawNoiseSeeds(new Rng(2), 2, 4);
  const plain = renderLatents(g, z, { noiseSeeds });
  const all = renderLatents(g, z, { noiseSeeds, psi: 0.5, meanStyle: mean });
  const cutAll = renderLatents(g, z, { noiseSeeds, psi: 0.5, meanStyle: mean, cutoff: 4 });
  const cutNone = renderLatents(g, z, { noiseSeeds, psi: 0.5, meanStyle: mean, cutoff: 0 });
  assert.ok(maxDiff(all.dataSync(), cutAll.dataSync()) < 1e-5);
  assert.ok(maxDiff(plain.dataSync(), cutNone.dataSync()) < 1e-5);
  assert.ok(maxDiff(plain.dataSync(), all.dataSync()) > 0.1);
  tf.dispose([mean, z, plain, all, cutAll, cutNone]);
});

Deno.test("sampling leaves no tensors behind", async () => {
  const mean = meanStyle(g, { samples: 512 });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const { images } = await sampleGrid(g, {
      n: 3,
      seed: i,
      psi: 0.7,
      meanStyle: mean,
      batchSize: 2,
    });
    images.dispose();
    meanStyle(g, { samples: 300, batchSize: 128 }).dispose();
  }
  assert.equal(tf.memory().numTensors, before);
  mean.dispose();
});

Deno.test("options are checked with clear messages", async () => {
  assert.throws(
    () => resolveStep(g, 4),
    /Step 4 is not a level of this generator: steps 0-3 \(4,8,16,32 px\)/,
  );
  await assert.rejects(sampleGrid(g, { n: 0 }), /positive integer/);
  const z = drawLatents(new Rng(0), 1, g.config.styleDim);
  assert.throws(
    () => renderLatents(g, z, { noiseSeeds: [[1, 2, 3, 4]], psi: 0.5 }),
    /needs the mean style/,
  );
  z.dispose();
});
