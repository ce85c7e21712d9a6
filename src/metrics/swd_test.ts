/**
 * Tests that the SWD means something, on real images: the 64 px Twitter emoji of the npm package
 * `emoji-datasource-twitter@16.0.0` (fetched once from the npm registry by src/data/emoji.ts),
 * composited on white and area-downsampled to 32 px by src/data.
 */

import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "../backend.ts";
import { decodeImage } from "../data/decode.ts";
import { downsampleLevels } from "../data/resize.ts";
import { fetchEmoji } from "../data/emoji.ts";
import { Rng } from "../rng.ts";
import { laplacianPyramid } from "./laplacian.ts";
import { randomDirections, swd, SwdDescriptors, swdFromDescriptors } from "./swd.ts";

const SIZE = 32;

// ---------------------------------------------------------------------------------------------
// Real images

/** `count` emoji in a seeded random order (sorted names start with ~250 flags), [count, S, S, 3]. */
async function loadEmoji(count: number, seed: number): Promise<Uint8Array> {
  const folder = await fetchEmoji("twitter");
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) names.push(entry.name);
  names.sort();
  new Rng(seed).shuffle(names);
  const out = new Uint8Array(count * SIZE * SIZE * 3);
  for (let i = 0; i < count; i++) {
    const image = await decodeImage(await Deno.readFile(join(folder, names[i])), names[i]);
    const [level] = downsampleLevels(image, [SIZE], { background: [255, 255, 255] });
    out.set(level, i * SIZE * SIZE * 3);
  }
  return out;
}

const batch = (data: Uint8Array) => ({
  shape: [data.length / (SIZE * SIZE * 3), SIZE, SIZE, 3],
  data,
});

// ---------------------------------------------------------------------------------------------
// Corruptions of [N, S, S, 3] uint8 images

/** Separable gaussian blur with clamped borders. */
function blur(images: Uint8Array, sigma: number): Uint8Array {
  const radius = Math.ceil(3 * sigma);
  const taps = Array.from(
    { length: 2 * radius + 1 },
    (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma ** 2)),
  );
  const total = taps.reduce((a, b) => a + b);
  const n = images.length / (SIZE * SIZE * 3);
  const pass = (src: Float64Array, dy: number, dx: number) => {
    const dst = new Float64Array(src.length);
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          for (let c = 0; c < 3; c++) {
            let s = 0;
            for (let t = -radius; t <= radius; t++) {
              const yy = Math.min(SIZE - 1, Math.max(0, y + t * dy));
              const xx = Math.min(SIZE - 1, Math.max(0, x + t * dx));
              s += taps[t + radius] * src[((b * SIZE + yy) * SIZE + xx) * 3 + c];
            }
            dst[((b * SIZE + y) * SIZE + x) * 3 + c] = s / total;
          }
        }
      }
    }
    return dst;
  };
  return clamp(pass(pass(Float64Array.from(images), 1, 0), 0, 1));
}

/** Adds seeded gaussian noise of standard deviation `sigma` (in 0..255 units). */
function noise(images: Uint8Array, sigma: number): Uint8Array {
  const rng = new Rng(11);
  return clamp(Float64Array.from(images, (v) => v + sigma * rng.normal()));
}

/** Shifts red up and blue down by `delta`. */
function colourShift(images: Uint8Array, delta: number): Uint8Array {
  return clamp(Float64Array.from(images, (v, i) => v + [delta, 0, -delta][i % 3]));
}

/** Rounds and clamps to bytes. */
function clamp(values: Float64Array): Uint8Array {
  return new Uint8Array(Uint8ClampedArray.from(values).buffer);
}

// ---------------------------------------------------------------------------------------------
// Independent plain-loop implementations of the reference

/** scipy.ndimage.convolve(mode="mirror") with the 5x5 binomial filter times `scale`, one image. */
function convolveMirror(image: Float64Array, size: number, scale: number): Float64Array {
  const taps = [1, 4, 6, 4, 1];
  const mirror = (i: number) => (i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i);
  const out = new Float64Array(image.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            const v = image[(mirror(y + dy) * size + mirror(x + dx)) * 3 + c];
            s += (taps[dy + 2] * taps[dx + 2] * scale * v) / 256;
          }
        }
        out[(y * size + x) * 3 + c] = s;
      }
    }
  }
  return out;
}

/** The reference's generate_laplacian_pyramid for one [S, S, 3] image, finest first. */
function referencePyramid(image: Float64Array, size: number, numLevels: number): Float64Array[] {
  const levels = [image];
  for (let l = 1; l < numLevels; l++) {
    const s = size >> (l - 1);
    const blurred = convolveMirror(levels[l - 1], s, 1);
    const down = new Float64Array((s / 2) * (s / 2) * 3);
    const spread = new Float64Array(s * s * 3);
    for (let y = 0; y < s / 2; y++) {
      for (let x = 0; x < s / 2; x++) {
        for (let c = 0; c < 3; c++) {
          down[(y * (s / 2) + x) * 3 + c] = blurred[(2 * y * s + 2 * x) * 3 + c];
          spread[(2 * y * s + 2 * x) * 3 + c] = down[(y * (s / 2) + x) * 3 + c];
        }
      }
    }
    const up = convolveMirror(spread, s, 4);
    levels[l - 1] = levels[l - 1].map((v, i) => v - up[i]);
    levels.push(down);
  }
  return levels;
}

/** Per-channel mean and population std, two-pass in float64 (the reference's finalize_descriptors). */
function channelStats(desc: Float32Array): { mean: number[]; std: number[] } {
  const mean = [0, 1, 2].map((c) => {
    let s = 0;
    for (let i = c; i < desc.length; i += 3) s += desc[i];
    return s / (desc.length / 3);
  });
  const std = [0, 1, 2].map((c) => {
    let s = 0;
    for (let i = c; i < desc.length; i += 3) s += (desc[i] - mean[c]) ** 2;
    return Math.sqrt(s / (desc.length / 3));
  });
  return { mean, std };
}

/**
 * SWD of one level (not x1e3): normalize, project on each direction, sort, and integrate
 * |F_a(x) - F_b(x)| over x (the CDF form of W1, which also covers unequal sizes).
 */
function referenceSliced(
  a: Float32Array,
  b: Float32Array,
  dirs: Float32Array,
  dims: number,
  each: boolean,
): number {
  const sa = channelStats(a);
  const sb = each ? channelStats(b) : sa;
  const project = (desc: Float32Array, s: typeof sa, j: number) => {
    const out: number[] = [];
    for (let r = 0; r < desc.length / dims; r++) {
      let p = 0;
      for (let k = 0; k < dims; k++) {
        p += (dirs[j * dims + k] * (desc[r * dims + k] - s.mean[k % 3])) / s.std[k % 3];
      }
      out.push(p);
    }
    return out.sort((x, y) => x - y);
  };
  let total = 0;
  const numDirs = dirs.length / dims;
  for (let j = 0; j < numDirs; j++) {
    const pa = project(a, sa, j);
    const pb = project(b, sb, j);
    const all = [...pa, ...pb].sort((x, y) => x - y);
    let ia = 0;
    let ib = 0;
    for (let k = 0; k + 1 < all.length; k++) {
      while (ia < pa.length && pa[ia] <= all[k]) ia++;
      while (ib < pb.length && pb[ib] <= all[k]) ib++;
      total += Math.abs(ia / pa.length - ib / pb.length) * (all[k + 1] - all[k]);
    }
  }
  return total / numDirs;
}

// ---------------------------------------------------------------------------------------------
// Tests

/** SWD between the two disjoint halves, computed once: the scale the corruptions are held to. */
let halvesResult: Promise<number> | undefined;
const halves = () =>
  halvesResult ??= swd(batch(first), batch(second), { seed: 3, dirRepeats: 1 }).then((r) =>
    r.average
  );

function near(actual: number, expected: number, tolerance: number): void {
  assert(
    Math.abs(actual - expected) <= tolerance,
    `${actual} is not within ${tolerance} of ${expected}`,
  );
}

await initBackend({ backend: "wasm" });
const emoji = await loadEmoji(512, 1);
const IMAGE = SIZE * SIZE * 3;
const first = emoji.subarray(0, 256 * IMAGE);
const second = emoji.subarray(256 * IMAGE);

Deno.test("laplacianPyramid matches the reference's pyr_down / pyr_up with mirror borders", () => {
  const images = emoji.subarray(0, 4 * IMAGE);
  const levels = laplacianPyramid(tf.tensor4d(images, [4, SIZE, SIZE, 3], "int32"), 2);
  for (let i = 0; i < 4; i++) {
    const expected = referencePyramid(
      Float64Array.from(images.subarray(i * IMAGE, (i + 1) * IMAGE)),
      SIZE,
      2,
    );
    for (let l = 0; l < 2; l++) {
      const actual = levels[l].dataSync();
      const n = expected[l].length;
      let maxError = 0;
      for (let k = 0; k < n; k++) {
        maxError = Math.max(maxError, Math.abs(actual[i * n + k] - expected[l][k]));
      }
      assert(maxError < 1e-3, `image ${i} level ${l}: max error ${maxError}`);
    }
  }
  tf.dispose(levels);
});

Deno.test("SwdDescriptors draws 7x7 windows of the pyramid, whatever the batch split", async () => {
  const images = emoji.subarray(0, 20 * IMAGE);
  const whole = new SwdDescriptors({ resolution: SIZE, seed: 5, nhoodsPerImage: 16 });
  await whole.add(batch(images));
  const split = new SwdDescriptors({ resolution: SIZE, seed: 5, nhoodsPerImage: 16 });
  for (let i = 0; i < 20; i += 7) {
    await split.add(batch(images.subarray(i * IMAGE, Math.min(20, i + 7) * IMAGE)));
  }
  assert.equal(split.count, 20);
  const levels = laplacianPyramid(tf.tensor4d(images, [20, SIZE, SIZE, 3], "int32"), 2);
  for (let l = 0; l < 2; l++) {
    const desc = whole.descriptors(l);
    assert.deepEqual(split.descriptors(l), desc);
    const s = SIZE >> l;
    const level = levels[l].dataSync();
    // Every 37th descriptor must equal some 7x7 window of its own image.
    for (let d = 0; d < 20 * 16; d += 37) {
      const image = Math.floor(d / 16);
      let found = false;
      for (let y0 = 0; y0 + 7 <= s && !found; y0++) {
        for (let x0 = 0; x0 + 7 <= s && !found; x0++) {
          found = true;
          for (let k = 0; k < 147 && found; k++) {
            const [dy, dx, c] = [Math.floor(k / 21), Math.floor(k / 3) % 7, k % 3];
            found = level[((image * s + y0 + dy) * s + x0 + dx) * 3 + c] === desc[d * 147 + k];
          }
        }
      }
      assert(found, `level ${l} descriptor ${d} is no window of image ${image}`);
    }
  }
  tf.dispose(levels);
});

Deno.test("swdFromDescriptors matches a plain-loop sort-based SWD on the same descriptors", async () => {
  const real = new SwdDescriptors({ resolution: SIZE, seed: 1, nhoodsPerImage: 32 });
  await real.add(batch(first.subarray(0, 128 * IMAGE)));
  const fake = new SwdDescriptors({ resolution: SIZE, seed: 2, nhoodsPerImage: 32 });
  await fake.add(batch(blur(second.subarray(0, 96 * IMAGE), 1))); // unequal sizes on purpose
  const equal = new SwdDescriptors({ resolution: SIZE, seed: 2, nhoodsPerImage: 32 });
  await equal.add(batch(noise(second.subarray(0, 128 * IMAGE), 12)));
  const options = { seed: 9, dirsPerRepeat: 32, dirRepeats: 2 };
  const dirs = randomDirections(147, 2 * 64, 9);
  for (
    const [other, normalization] of [[fake, "real"], [equal, "real"], [equal, "each"]] as const
  ) {
    const result = await swdFromDescriptors(real, other, { ...options, normalization });
    for (let l = 0; l < 2; l++) {
      const expected = 1e3 *
        referenceSliced(
          real.descriptors(l),
          other.descriptors(l),
          dirs.subarray(l * 64 * 147, (l + 1) * 64 * 147),
          147,
          normalization === "each",
        );
      const actual = result.levels[l].swd;
      assert(
        Math.abs(actual - expected) <= 1e-4 * expected,
        `level ${l}: ${actual} vs ${expected}`,
      );
    }
    near(result.average, (result.levels[0].swd + result.levels[1].swd) / 2, 1e-12);
  }
});

Deno.test("swd of a set against itself is the sampling floor, below two disjoint halves", async () => {
  const same = await swd(batch(first), batch(first), { seed: 3, dirRepeats: 1 });
  const identical = new SwdDescriptors({ resolution: SIZE, seed: 4 });
  await identical.add(batch(first));
  assert.equal((await swdFromDescriptors(identical, identical)).average, 0);
  assert.deepEqual(same.levels.map((l) => l.resolution), [32, 16]);
  // Measured: floor 8.9, halves 25.5 (x1e3) with 256 images per set.
  const split = await halves();
  assert(same.average > 0 && same.average < 0.6 * split, `floor ${same.average}, halves ${split}`);
  assert(split < 50, `halves ${split}`);
});

for (
  const [name, corrupt, strengths] of [
    ["blur", blur, [0.5, 1, 2]],
    ["noise", noise, [4, 12, 36]],
    ["colour shift", colourShift, [8, 24, 64]],
  ] as const
) {
  Deno.test(`swd grows with ${name} strength`, async () => {
    const real = new SwdDescriptors({ resolution: SIZE, seed: 1 });
    await real.add(batch(first));
    const values = [];
    for (const strength of strengths) {
      const fake = new SwdDescriptors({ resolution: SIZE, seed: 2 });
      await fake.add(batch(corrupt(first, strength)));
      values.push((await swdFromDescriptors(real, fake, { seed: 3, dirRepeats: 1 })).average);
    }
    assert(values[0] < values[1] && values[1] < values[2], `${name}: ${values.join(", ")}`);
    const split = await halves();
    assert(values[2] > 5 * split, `${name}: strongest ${values[2]} vs halves ${split}`);
  });
}

Deno.test("a colour shift counts with the real set's normalization, hardly with each set's own", async () => {
  const shifted = colourShift(first, 24);
  const real = await swd(batch(first), batch(shifted), { seed: 3, dirRepeats: 1 });
  const each = await swd(batch(first), batch(shifted), {
    seed: 3,
    dirRepeats: 1,
    normalization: "each",
  });
  // Measured 102.7 vs 13.2 (x1e3); the floor is 8.9.
  assert(real.average > 4 * each.average, `real ${real.average}, each ${each.average}`);
});

const agreement = {
  real: first.subarray(0, 16 * IMAGE),
  fake: {
    shape: [16, SIZE, SIZE, 3],
    data: Float32Array.from(second.subarray(0, 16 * IMAGE), (v) => v / 127.5 - 1),
  },
  options: { seed: 2, dirRepeats: 1 },
};

Deno.test("uint8, float host and float tensor inputs agree, on wasm and cpu, with no leaks", async () => {
  const { real, fake, options } = agreement;
  const before = tf.memory().numTensors;
  const expected = (await swd(batch(real), batch(second.subarray(0, 16 * IMAGE)), options)).average;
  near((await swd(batch(real), fake, options)).average, expected, 1e-5 * expected);
  const tensor = tf.tensor4d(fake.data, [16, SIZE, SIZE, 3]);
  near((await swd(batch(real), tensor, options)).average, expected, 1e-5 * expected);
  tensor.dispose();
  assert.equal(tf.memory().numTensors, before);
  await initBackend({ backend: "cpu" });
  try {
    near((await swd(batch(real), fake, options)).average, expected, 1e-5 * expected);
  } finally {
    await initBackend({ backend: "wasm" });
  }
});

// A software adapter (llvmpipe) is enough: this checks the ops, not the speed.
const hasWebGPU = !!(await globalThis.navigator?.gpu?.requestAdapter());

Deno.test({
  name: "webgpu agrees with wasm",
  ignore: !hasWebGPU,
  async fn() {
    const { real, fake, options } = agreement;
    const expected = (await swd(batch(real), fake, options)).average;
    await initBackend({ backend: "webgpu" });
    try {
      const before = tf.memory().numTensors;
      near((await swd(batch(real), fake, options)).average, expected, 1e-5 * expected);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      await initBackend({ backend: "wasm" });
    }
  },
});

Deno.test("swd rejects bad shapes and empty streams", async () => {
  await assert.rejects(
    swd({ shape: [1, 24, 24, 3], data: new Uint8Array(24 * 24 * 3) }, batch(first)),
    /power-of-two resolution >= 16, got 24/,
  );
  const set = new SwdDescriptors({ resolution: 32 });
  await assert.rejects(
    set.add({ shape: [1, 16, 16, 3], data: new Uint8Array(768) }),
    /expected \[N, 32, 32, 3\], got \[1, 16, 16, 3\]/,
  );
  await assert.rejects(swd(batch(first), []), /swd got no fake images/);
});
