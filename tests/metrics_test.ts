/**
 * The quality metric must see training move a generator towards the data: the SWD between a
 * generator's samples and the emoji set drops after a short training run; and the `metrics`
 * command reports it end to end.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "../src/backend.ts";
import { main } from "../cli.ts";
import { PRESETS } from "../src/config.ts";
import { Dataset } from "../src/data/dataset.ts";
import { fetchEmoji } from "../src/data/emoji.ts";
import { prepareDataset } from "../src/data/prepare.ts";
import { saveCheckpoint } from "../src/io/checkpoint.ts";
import { swd } from "../src/metrics/swd.ts";
import { Rng } from "../src/rng.ts";
import { Trainer } from "../src/train/trainer.ts";

async function samplesSwd(trainer: Trainer, data: Dataset, n: number): Promise<number> {
  const indices = Array.from({ length: n }, (_, i) => i * Math.floor(data.count / n));
  const real = { shape: [n, 16, 16, 3], data: await data.images(16, indices) };
  const rng = new Rng(99);
  const fake = tf.tidy(() => {
    const z = tf.tensor2d(Float32Array.from({ length: n * 64 }, () => rng.normal()), [n, 64]);
    return trainer.gEma.apply(z, { step: 2, random: () => rng.next() });
  });
  const { average } = await swd(real, fake, { seed: 1 });
  fake.dispose();
  return average;
}

Deno.test("training moves the generator towards the data (SWD drops), and `cli.ts metrics` reports it", async () => {
  await initBackend({ backend: "wasm" });
  const out = await Deno.makeTempDir({ prefix: "stylegan-metrics-" });
  await prepareDataset(await fetchEmoji("twitter", {}), { out, maxSize: 16, limit: 512 });
  const data = await Dataset.open(out, { seed: 4 });
  const trainer = new Trainer({
    config: PRESETS.tiny,
    options: { batch: 8, initSize: 16, maxSize: 16, phaseImages: 200, seed: 4, emaDecay: 0.99 },
  });
  const before = await samplesSwd(trainer, data, 256);
  for (let i = 0; i < 150; i++) {
    await trainer.iterate((res, n) => data.batchTensor(res, n, { flip: true }));
  }
  const after = await samplesSwd(trainer, data, 256);
  assert(after < 0.8 * before, `SWD went from ${before} to ${after}`);

  const ckpt = join(out, "trained.safetensors");
  await saveCheckpoint(ckpt, await trainer.toCheckpoint());
  const json = join(out, "metrics.json");
  const code = await main([
    "metrics",
    ckpt,
    out,
    "--n",
    "128",
    "--backend",
    "wasm",
    "--out",
    json,
    "--size",
    "16",
  ]);
  assert.equal(code, 0);
  const report = JSON.parse(await Deno.readTextFile(json));
  assert.equal(report.levels.length, 1);
  assert(Number.isFinite(report.average) && report.average > 0);
  trainer.dispose();
  await data.close();
  await Deno.remove(out, { recursive: true });
});
