import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../backend.ts";
import type { StyleGANConfig } from "../config.ts";
import { inferConfig } from "../io/import.ts";
import { Discriminator } from "./discriminator.ts";
import { StyledGenerator } from "./generator.ts";

/** Like the unseen check set: 5 levels, 8 mapping layers, no from_rgb activation. */
const CONFIG: StyleGANConfig = {
  gChannels: [24, 24, 16, 16, 8],
  gFused: [false, false, false, true, true],
  dChannels: [24, 24, 16, 16, 8],
  dFused: [false, false, true, true, true],
  styleDim: 32,
  nMlp: 8,
  fromRgbActivate: false,
};

async function same(a: tf.Tensor, b: tf.Tensor): Promise<boolean> {
  const [x, y] = [await a.data(), await b.data()];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

Deno.test("state dicts use the reference's keys and round-trip exactly", async () => {
  await initBackend({ backend: "cpu" });
  const g = new StyledGenerator({ config: CONFIG, seed: 1 });
  const d = new Discriminator({ config: CONFIG, seed: 2 });
  const gState = await g.stateDict();
  const dState = await d.stateDict();
  assert.deepEqual(gState["generator.progression.4.conv1.0.weight"].shape, [16, 8, 3, 3]); // fused: [in, out, k, k]
  assert.deepEqual(gState["generator.progression.1.conv1.1.conv.weight_orig"].shape, [
    24,
    24,
    3,
    3,
  ]);
  assert.deepEqual(gState["generator.progression.0.noise1.weight_orig"].shape, [1, 24, 1, 1]);
  assert.deepEqual(gState["style.15.linear.weight_orig"].shape, [32, 32]);
  assert.deepEqual(dState["from_rgb.0.conv.weight_orig"].shape, [8, 3, 1, 1]); // no activation: no ".0"
  assert.deepEqual(dState["progression.0.conv2.1.weight"].shape, [16, 16, 3, 3]); // fused downsample, 8 -> 16 channels
  assert.deepEqual(dState["progression.4.conv1.0.conv.weight_orig"].shape, [24, 25, 3, 3]); // + stddev channel
  assert.deepEqual(inferConfig(gState, dState).config, CONFIG);

  const g2 = new StyledGenerator({ config: CONFIG, seed: 9 });
  const d2 = new Discriminator({ config: CONFIG, seed: 9 });
  g2.loadStateDict(gState);
  d2.loadStateDict(dState);
  assert.deepEqual(await g2.stateDict(), gState);
  assert.deepEqual(await d2.stateDict(), dState);
  const z = tf.randomNormal([3, 32], 0, 1, "float32", 5) as tf.Tensor2D;
  const noise = [4, 8, 16, 32, 64].map((s, i) =>
    tf.randomNormal([3, s, s, 1], 0, 1, "float32", 10 + i) as tf.Tensor4D
  );
  const images = g.apply(z, { noise, alpha: 0.3 });
  assert.deepEqual(images.shape, [3, 64, 64, 3]);
  assert(await same(images, g2.apply(z, { noise, alpha: 0.3 })));
  assert(await same(d.apply(images, { alpha: 0.3 }), d2.apply(images, { alpha: 0.3 })));
  for (const m of [g, d, g2, d2]) tf.dispose(m.variables());
});

Deno.test("mismatches and wrong inputs fail with errors that name the problem", async () => {
  await initBackend({ backend: "cpu" });
  const g = new StyledGenerator({ config: CONFIG });
  const d = new Discriminator({ config: CONFIG });
  const state = await g.stateDict();
  const bad = {
    ...state,
    "generator.to_rgb.2.conv.weight_orig": { shape: [3, 24, 1, 1], data: new Float32Array(72) },
  };
  assert.throws(
    () => g.loadStateDict(bad),
    /generator\.to_rgb\.2\.conv\.weight_orig: file has \[3,24,1,1\], model expects \[3,16,1,1\]/,
  );
  assert.throws(
    () => g.loadStateDict({ ...state, "extra.weight": state["style.1.linear.bias"] }),
    /Unexpected keys.*extra\.weight/,
  );
  const { ["style.1.linear.bias"]: _, ...missing } = state;
  assert.throws(
    () => g.loadStateDict(missing),
    /Missing key in state dict: style\.1\.linear\.bias/,
  );
  assert.throws(
    () => d.apply(tf.zeros([2, 32, 32, 3]) as tf.Tensor4D),
    /Discriminator expected \[N, 64, 64, 3\], got \[2,32,32,3\]/,
  );
  assert.throws(
    () => g.apply(tf.zeros([2, 16]) as tf.Tensor2D),
    /MappingNetwork expected \[N, 32\], got \[2,16\]/,
  );
  assert.throws(
    () =>
      g.apply(tf.zeros([2, 32]) as tf.Tensor2D, {
        step: 1,
        noise: [tf.zeros([2, 4, 4, 1]) as tf.Tensor4D, tf.zeros([2, 4, 4, 1]) as tf.Tensor4D],
      }),
    /Noise 1 expected \[2, 8, 8, 1\], got \[2,4,4,1\]/,
  );
  assert.throws(
    () => d.apply(tf.zeros([3, 64, 64, 3]) as tf.Tensor4D, { stddevGroup: 2 }),
    /group size 2 does not divide the batch of 3/,
  );
  for (const m of [g, d]) tf.dispose(m.variables());
});

Deno.test("style mixing: a crossover past the last level, or a pair of equal latents, changes nothing", async () => {
  await initBackend({ backend: "cpu" });
  const g = new StyledGenerator({ config: CONFIG, seed: 3 });
  const [z1, z2] = [1, 2].map((s) => tf.randomNormal([2, 32], 0, 1, "float32", s) as tf.Tensor2D);
  const noise = [4, 8, 16, 32, 64].map((s, i) =>
    tf.randomNormal([2, s, s, 1], 0, 1, "float32", 20 + i) as tf.Tensor4D
  );
  const one = g.apply(z1, { noise });
  assert(await same(one, g.apply([z1, z2], { noise, crossover: 4 })));
  assert(await same(one, g.apply([z1, z1], { noise, crossover: 1 })));
  assert(!(await same(one, g.apply([z1, z2], { noise, crossover: 1 }))));
  // mixingRange [lo, hi] = the second latent on levels lo..hi, like crossover lo-1 when hi is the top.
  assert(
    await same(
      g.apply([z1, z2], { noise, crossover: 1 }),
      g.apply([z1, z2], { noise, mixingRange: [2, 4] }),
    ),
  );
  tf.dispose(g.variables());
});
