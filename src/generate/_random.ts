/**
 * Seeded latents and noise for the generation figures, so that a seed alone fixes every pixel.
 *
 * Latents come from {@linkcode Rng} normals. Noise maps are drawn per image and level from their
 * own integer seed (`tf.randomNormal` with a seed runs in JS, the same on every backend), so an
 * image's noise does not depend on the batch it is generated in.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../rng.ts";

/**
 * `n` latents z ~ N(0, I), [n, dim], from `rng`.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * import { drawLatents } from "./_random.ts";
 * console.log(drawLatents(new Rng(0), 4, 64).shape); // [4, 64]
 * ```
 */
export function drawLatents(rng: Rng, n: number, dim: number): tf.Tensor2D {
  const z = new Float32Array(n * dim);
  for (let i = 0; i < z.length; i++) z[i] = rng.normal();
  return tf.tensor2d(z, [n, dim]);
}

/** Seeds of the noise maps of `n` images over `levels` levels: `seeds[image][level]`. */
export function drawNoiseSeeds(rng: Rng, n: number, levels: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: levels }, () => rng.uint32()));
}

/**
 * Noise of levels 0..step for images with the given seeds, each [N, 4 * 2 ** i, 4 * 2 ** i, 1].
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * import { drawNoiseSeeds, noiseFromSeeds } from "./_random.ts";
 * const noise = noiseFromSeeds(drawNoiseSeeds(new Rng(0), 2, 4), 1);
 * console.log(noise.map((n) => n.shape)); // [[2, 4, 4, 1], [2, 8, 8, 1]]
 * ```
 */
export function noiseFromSeeds(seeds: number[][], step: number): tf.Tensor4D[] {
  return Array.from({ length: step + 1 }, (_, i) => {
    const size = 4 * 2 ** i;
    return tf.tidy(() =>
      tf.concat(
        seeds.map((s) => tf.randomNormal([1, size, size, 1], 0, 1, "float32", s[i])),
        0,
      ) as tf.Tensor4D
    );
  });
}

/** Disposes a list of tensors. */
export function disposeAll(tensors: tf.Tensor[]): void {
  for (const t of tensors) t.dispose();
}
