/**
 * SWD throughput on real 64 px images (Twemoji from src/data/emoji.ts, repeated to fill larger
 * sets, each pass with other neighbourhoods), on the wasm backend.
 *
 * - `deno bench -A bench/swd_bench.ts`: 1,024 vs 1,024 images at 64 px (descriptors, then the
 *   distance), and the sort of one direction's 131,072 projections: the JS radix sort that
 *   src/metrics uses, `Float32Array.prototype.sort`, and `tf.topk`.
 * - `deno run -A bench/swd_bench.ts [--n 10000] [--backend wasm]`: one full run of n vs n images,
 *   printing seconds per stage (the figure quoted for 10k images).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type BackendName, initBackend } from "../src/backend.ts";
import { decodeImage } from "../src/data/decode.ts";
import { fetchEmoji } from "../src/data/emoji.ts";
import { downsampleLevels } from "../src/data/resize.ts";
import { radixSortFloat32 } from "../src/metrics/_sliced.ts";
import { SwdDescriptors, swdFromDescriptors } from "../src/metrics/swd.ts";

const SIZE = 64;
const IMAGE = SIZE * SIZE * 3;

/** `count` distinct emoji at 64 px, [count, 64, 64, 3] uint8, starting at image `offset`. */
async function loadEmoji(count: number, offset = 0): Promise<Uint8Array> {
  const folder = await fetchEmoji("twitter");
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) names.push(entry.name);
  names.sort();
  const out = new Uint8Array(count * IMAGE);
  for (let i = 0; i < count; i++) {
    const name = names[(offset + i) % names.length];
    const image = await decodeImage(await Deno.readFile(join(folder, name)), name);
    out.set(downsampleLevels(image, [SIZE], { background: [255, 255, 255] })[0], i * IMAGE);
  }
  return out;
}

/** Adds `n` images, cycling over `images`, in batches of 64. */
async function describe(images: Uint8Array, n: number, seed: number): Promise<SwdDescriptors> {
  const set = new SwdDescriptors({ resolution: SIZE, seed });
  const available = images.length / IMAGE;
  for (let done = 0; done < n;) {
    const start = done % available;
    const count = Math.min(64, n - done, available - start);
    await set.add({
      shape: [count, SIZE, SIZE, 3],
      data: images.subarray(start * IMAGE, (start + count) * IMAGE),
    });
    done += count;
  }
  return set;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      n: { type: "string", default: "10000" },
      backend: { type: "string", default: "wasm" },
    },
  });
  const n = Number(values.n);
  const info = await initBackend({ backend: values.backend as BackendName });
  console.log(`backend ${info.name} (${info.reason}); ${n} vs ${n} images at ${SIZE} px`);
  const distinct = Math.min(n, 1893); // the two halves of the ~3,786 emoji
  const [realImages, fakeImages] = await Promise.all([
    loadEmoji(distinct, 0),
    loadEmoji(distinct, 1893),
  ]);
  let t = performance.now();
  const lap = () => {
    const s = (performance.now() - t) / 1000;
    t = performance.now();
    return s.toFixed(1);
  };
  const real = await describe(realImages, n, 1);
  console.log(`descriptors, real set: ${lap()} s`);
  const fake = await describe(fakeImages, n, 2);
  console.log(`descriptors, fake set: ${lap()} s`);
  const result = await swdFromDescriptors(real, fake);
  console.log(`distance (projection + sort, 512 directions x 3 levels): ${lap()} s`);
  console.log(result.levels.map((l) => `${l.resolution}: ${l.swd.toFixed(3)}`).join(", "));
  console.log(`swd=${result.average.toFixed(4)}`);
} else {
  await initBackend({ backend: "wasm" });
  const realImages = await loadEmoji(1024, 0);
  const fakeImages = await loadEmoji(1024, 1893);
  const real = await describe(realImages, 1024, 1);
  const fake = await describe(fakeImages, 1024, 2);

  Deno.bench({
    name: "descriptors: 1024 images at 64 px (pyramid + 128 neighbourhoods x 3 levels)",
    n: 3,
    warmup: 1,
    async fn() {
      await describe(realImages, 1024, 3);
    },
  });
  Deno.bench({
    name: "swdFromDescriptors: 1024 vs 1024 images, 512 directions x 3 levels",
    n: 3,
    warmup: 1,
    async fn() {
      await swdFromDescriptors(real, fake);
    },
  });

  // One direction of a 1024-image level: 131,072 projections.
  const projections = Float32Array.from(
    { length: 1024 * 128 },
    (_, i) => Math.sin(i * 12.9898) * 3,
  );
  const scratch = new Uint32Array(projections.length);
  Deno.bench({
    name: "sort 131k projections: radixSortFloat32",
    group: "sort",
    baseline: true,
    fn() {
      radixSortFloat32(projections.slice(), scratch);
    },
  });
  Deno.bench({
    name: "sort 131k projections: Float32Array.prototype.sort",
    group: "sort",
    fn() {
      projections.slice().sort();
    },
  });
  Deno.bench({
    name: "sort 131k projections: tf.topk on wasm (+ download)",
    group: "sort",
    n: 20,
    async fn() {
      const x = tf.tensor2d(projections, [1, projections.length]);
      const { values, indices } = tf.topk(x, projections.length);
      await values.data();
      tf.dispose([x, values, indices]);
    },
  });
}
