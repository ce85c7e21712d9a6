/**
 * Latent interpolation: a straight line in W (linear interpolation, what the paper's
 * perceptual path length measures) or a great circle in Z (spherical, since z is Gaussian), with
 * the noise fixed across frames so that only the latent moves.
 *
 * @example
 * ```ts ignore
 * import { interpolate } from "./interpolate.ts";
 * const { images, gif, png } = await interpolate(g, { from: 1, to: 2, frames: 30, space: "w" });
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { numLevels } from "../config.ts";
import { encodeGif } from "../io/gif.ts";
import { encodePng, toRasterFrames, toUint8Grid } from "../io/image.ts";
import type { StyledGenerator } from "../models/generator.ts";
import { Rng } from "../rng.ts";
import { disposeAll, drawLatents, drawNoiseSeeds } from "./_random.ts";
import { meanFor, renderStyles, resolveStep, type TruncationOptions } from "./sample.ts";

/**
 * Spherical interpolation between the rows of `a` and `b` at t in [0, 1], on the host (falls
 * back to linear when the vectors are nearly parallel).
 *
 * @example
 * ```ts
 * import { slerp } from "./interpolate.ts";
 * console.log(Array.from(slerp([1, 0], [0, 1], 0.5), (x) => x.toFixed(3))); // ["0.707", "0.707"]
 * ```
 */
export function slerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float32Array {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const cos = Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb)));
  const omega = Math.acos(cos);
  const out = new Float32Array(a.length);
  const sin = Math.sin(omega);
  const [ka, kb] = sin < 1e-6
    ? [1 - t, t]
    : [Math.sin((1 - t) * omega) / sin, Math.sin(t * omega) / sin];
  for (let i = 0; i < a.length; i++) out[i] = ka * a[i] + kb * b[i];
  return out;
}

/** Options of {@linkcode interpolate}. */
export interface InterpolateOptions extends TruncationOptions {
  /** Start: a latent seed (one z from `new Rng(from)`) or z [1, styleDim]. Default: seed `seed`. */
  from?: number | tf.Tensor2D;
  /** End: a latent seed or z [1, styleDim]. Default: seed `seed + 1`. */
  to?: number | tf.Tensor2D;
  /** Frames, both ends included (at least 2). Default 30. */
  frames?: number;
  /** `w` (default): linear in W; `z`: spherical in Z. */
  space?: "w" | "z";
  /** Seed of the noise (shared by all frames) and of the mean style. Default 0. */
  seed?: number;
  /** Output level. Default: the top level. */
  step?: number;
  /** GIF frame time in milliseconds. Default 80. */
  delayMs?: number;
  /** The GIF plays forwards then backwards, so its loop has no jump. Default true. */
  pingPong?: boolean;
  /** Images per generator call. Default 8. */
  batchSize?: number;
}

/** The frames of an interpolation and their pictures. */
export interface Interpolation {
  /** Frames [frames, R, R, 3] in about [-1, 1] (the caller disposes them). */
  images: tf.Tensor4D;
  /** Animated, looping GIF of the frames. */
  gif: Uint8Array;
  /** The frames side by side in one PNG strip. */
  png: Uint8Array;
}

/**
 * Interpolates between two latents: `frames` images from `from` to `to`, in W (lerp) or Z
 * (slerp), with one noise draw for every frame.
 *
 * @example
 * ```ts
 * import { StyledGenerator } from "../models/generator.ts";
 * import { PRESETS } from "../config.ts";
 * import { interpolate } from "./interpolate.ts";
 * const g = new StyledGenerator({ config: PRESETS.tiny });
 * const { images, gif } = await interpolate(g, { from: 1, to: 2, frames: 4, step: 1 });
 * console.log(images.shape, gif.length > 0); // [4, 8, 8, 3] true
 * images.dispose();
 * ```
 */
export async function interpolate(
  g: StyledGenerator,
  options: InterpolateOptions = {},
): Promise<Interpolation> {
  const { frames = 30, space = "w", seed = 0, delayMs = 80, pingPong = true } = options;
  if (!Number.isInteger(frames) || frames < 2) {
    throw new Error(`Interpolation needs an integer number of frames >= 2, got ${frames}`);
  }
  if (space !== "w" && space !== "z") throw new Error(`Unknown space "${space}": expected w or z`);
  const step = resolveStep(g, options.step);
  const dim = g.config.styleDim;
  const latent = (x: number | tf.Tensor2D) => {
    if (typeof x === "number") return drawLatents(new Rng(x), 1, dim);
    if (x.shape[0] !== 1 || x.shape[1] !== dim) {
      throw new Error(`Interpolation end points must be [1, ${dim}], got [${x.shape}]`);
    }
    return x.clone();
  };
  const za = latent(options.from ?? seed);
  const zb = latent(options.to ?? seed + 1);
  const noiseSeeds = drawNoiseSeeds(new Rng(seed), 1, numLevels(g.config));
  const { mean, owned } = meanFor(g, options);
  const ts = Array.from({ length: frames }, (_, i) => i / (frames - 1));
  let styles: tf.Tensor2D | undefined;
  try {
    if (space === "z") {
      const [a, b] = [await za.data(), await zb.data()];
      const z = new Float32Array(frames * dim);
      ts.forEach((t, i) => z.set(slerp(a, b, t), i * dim));
      styles = tf.tidy(() => g.mapping.apply(tf.tensor2d(z, [frames, dim])));
    } else {
      styles = tf.tidy(() => {
        const [wa, wb] = [g.mapping.apply(za), g.mapping.apply(zb)];
        const t = tf.tensor2d(ts, [frames, 1]);
        return tf.add(wa, tf.mul(t, tf.sub(wb, wa))) as tf.Tensor2D;
      });
    }
    const images = renderStyles(g, [styles], {
      step,
      psi: options.psi,
      cutoff: options.cutoff,
      meanStyle: mean,
      noiseSeeds,
      batchSize: options.batchSize,
    });
    try {
      const raster = await toRasterFrames(images);
      const sequence = pingPong ? [...raster, ...raster.slice(1, -1).reverse()] : raster;
      const strip = await toUint8Grid(images, { cols: frames });
      return { images, gif: encodeGif(sequence, { delayMs }), png: encodePng(strip) };
    } catch (error) {
      images.dispose();
      throw error;
    }
  } finally {
    disposeAll([za, zb]);
    styles?.dispose();
    if (owned) mean?.dispose();
  }
}
