import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import gifCodec from "imagescript/wasm/node/gif.js";
import { initBackend } from "../backend.ts";
import { decodeImage } from "../data/decode.ts";
import { loadGenerator } from "../io/load_generator.ts";
import { Rng } from "../rng.ts";
import { drawLatents } from "./_random.ts";
import { interpolate, slerp } from "./interpolate.ts";

await initBackend({ backend: "wasm" });
const PARITY = new URL("../../../shared/parity/", import.meta.url);
const { generator: g } = await loadGenerator(new URL("g_running-only.model", PARITY));

type GifDecoder = { width: number; height: number; frames(): Iterable<{ width: number }> };
async function gifFrames(
  bytes: Uint8Array,
): Promise<{ width: number; height: number; count: number }> {
  const codec =
    await (gifCodec as { init(): Promise<{ Decoder: new (b: Uint8Array) => GifDecoder }> })
      .init();
  const decoder = new codec.Decoder(bytes);
  return { width: decoder.width, height: decoder.height, count: [...decoder.frames()].length };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

Deno.test("slerp keeps the ends, stays on the sphere and halves the angle", () => {
  const rng = new Rng(1);
  const a = Float32Array.from({ length: 64 }, () => rng.normal());
  const b = Float32Array.from({ length: 64 }, () => rng.normal());
  const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
  assert.ok(maxDiff(slerp(a, b, 0), a) < 1e-5);
  assert.ok(maxDiff(slerp(a, b, 1), b) < 1e-5);
  const ua = a.map((x) => x / norm(a));
  const ub = b.map((x) => x / norm(b));
  const mid = slerp(ua, ub, 0.5);
  assert.ok(Math.abs(norm(mid) - 1) < 1e-5);
  const cos = (u: ArrayLike<number>, v: ArrayLike<number>) =>
    Array.from(u).reduce((s, x, i) => s + x * v[i], 0) / (norm(u) * norm(v));
  assert.ok(Math.abs(cos(mid, ua) - cos(mid, ub)) < 1e-5);
  assert.ok(maxDiff(slerp(ua, ua, 0.3), ua) < 1e-6); // parallel: falls back to lerp
});

Deno.test("W and Z walks share their end frames and differ between them", async () => {
  const w = await interpolate(g, { from: 11, to: 12, frames: 5, space: "w", step: 2 });
  const z = await interpolate(g, { from: 11, to: 12, frames: 5, space: "z", step: 2 });
  assert.deepEqual(w.images.shape, [5, 16, 16, 3]);
  const [wd, zd] = [w.images.dataSync() as Float32Array, z.images.dataSync() as Float32Array];
  const frame = (d: Float32Array, k: number) => d.subarray(k * 768, (k + 1) * 768);
  assert.ok(maxDiff(frame(wd, 0), frame(zd, 0)) < 1e-4);
  assert.ok(maxDiff(frame(wd, 4), frame(zd, 4)) < 1e-4);
  assert.ok(maxDiff(frame(wd, 2), frame(zd, 2)) > 1e-3);
  assert.ok(maxDiff(frame(wd, 0), frame(wd, 4)) > 0.1);
  // A latent given as a tensor is the same as its seed.
  const from = drawLatents(new Rng(11), 1, g.config.styleDim);
  const again = await interpolate(g, { from, to: 12, frames: 5, space: "w", step: 2 });
  assert.deepEqual(again.images.dataSync(), wd);
  tf.dispose([w.images, z.images, again.images, from]);
});

Deno.test("the GIF and the strip decode to the frames", async () => {
  const before = tf.memory().numTensors;
  const walk = await interpolate(g, { frames: 6, seed: 2 });
  assert.deepEqual(await gifFrames(walk.gif), { width: 32, height: 32, count: 10 }); // 6 + 4 back
  const once = await interpolate(g, { frames: 6, seed: 2, pingPong: false, psi: 0.7 });
  assert.equal((await gifFrames(once.gif)).count, 6);
  const strip = await decodeImage(walk.png, "strip.png");
  assert.deepEqual([strip.width, strip.height], [6 * 34 + 2, 36]);
  tf.dispose([walk.images, once.images]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("interpolate checks its options", async () => {
  await assert.rejects(interpolate(g, { frames: 1 }), /frames >= 2/);
  await assert.rejects(interpolate(g, { space: "x" as "w" }), /Unknown space "x"/);
});
