/**
 * Model speed at the `reference` widths (512 channels up to 32 px), batch 16, on the backend
 * `initBackend({ backend: "auto" })` picks (override with STYLEGAN_BACKEND=wasm|cpu|webgpu):
 * generator forward, discriminator forward + backward, and one full training iteration
 * (D step with R1 + G step + EMA).
 *
 * Reference PyTorch CPU figures on the same 2-core machine: G forward 32 px batch 16 = 0.73 s,
 * one training step (D + G, batch 16, 32 px) = 8.1 s. At 32 px the training iteration runs as
 * micro-batches of 4 (wasm's heap stops at 4 GiB).
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend.ts";
import { makeConfig } from "../src/config.ts";
import { Discriminator } from "../src/models/discriminator.ts";
import { StyledGenerator } from "../src/models/generator.ts";
import { Trainer } from "../src/train/trainer.ts";

const backend = (Deno.env.get("STYLEGAN_BACKEND") ?? "auto") as "auto";
const info = await initBackend({ backend });
console.error(`backend: ${info.name} (${info.reason})`);

const BATCH = 16;

/**
 * The models of one size, built on first use. Only one size lives at a time: three sizes of
 * full-width models plus their trainers' Adam moments would fill most of wasm's 4 GiB heap.
 */
type Models = {
  g: StyledGenerator;
  d: Discriminator;
  trainer: Trainer;
  z: tf.Tensor2D;
  x: tf.Tensor4D;
};
let live: { size: number; models: Models } | undefined;
function modelsFor(size: number): Models {
  if (live?.size === size) return live.models;
  if (live) {
    const { g, d, trainer, z, x } = live.models;
    tf.dispose([...g.variables(), ...d.variables(), z, x]);
    trainer.dispose();
  }
  const config = makeConfig("reference", { levels: Math.log2(size) - 1 });
  const trainer = new Trainer({
    config,
    // The R1 double backward of a full-width batch of 16 at 16 px and up does not fit in one pass.
    options: {
      batch: BATCH,
      initSize: size,
      maxSize: size,
      phaseImages: 1e9,
      microBatch: { 8: undefined, 16: 8, 32: 4 }[size],
    },
  });
  const models = {
    g: new StyledGenerator({ config, seed: 1 }),
    d: new Discriminator({ config, seed: 2 }),
    trainer,
    z: tf.randomNormal([BATCH, config.styleDim]) as tf.Tensor2D,
    x: tf.randomUniform([BATCH, size, size, 3], -1, 1) as tf.Tensor4D,
  };
  live = { size, models };
  return models;
}

for (const size of [8, 16, 32]) {
  // A 32 px iteration takes minutes on a 2-core CPU: measure it once.
  const options = {
    group: `${size}px`,
    ...(size === 32 ? { n: 1, warmup: 0 } : { n: 3, warmup: 1 }),
  };

  Deno.bench(`G forward ${size} px, batch ${BATCH}`, options, async () => {
    const { g, z } = modelsFor(size);
    const images = g.apply(z);
    await images.data();
    images.dispose();
  });

  Deno.bench(`D forward+backward ${size} px, batch ${BATCH}`, options, async () => {
    const { d, x } = modelsFor(size);
    const { value, grads } = tf.variableGrads(() => tf.mean(d.apply(x)), d.variables());
    await Promise.all(Object.values(grads).map((t) => t.data()));
    tf.dispose([value, ...Object.values(grads)]);
  });

  Deno.bench(`train iteration (D r1 + G + EMA) ${size} px, batch ${BATCH}`, options, async () => {
    const { trainer } = modelsFor(size);
    await trainer.iterate((res, n) => tf.randomUniform([n, res, res, 3], -1, 1) as tf.Tensor4D);
  });
}
