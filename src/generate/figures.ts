/**
 * Figures of the paper beyond samples and mixing: stochastic variation (Figure 4: one latent,
 * many noise draws, and the per-pixel standard deviation) and the truncation sweep (Figure 8:
 * the same latents at psi 1, 0.7, 0.5, 0, -0.5, -1).
 *
 * @example
 * ```ts ignore
 * import { noiseVariation, truncationSweep } from "./figures.ts";
 * const variation = await noiseVariation(g, { seed: 4, draws: 32 });
 * const sweep = await truncationSweep(g, { seed: 0 });
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { numLevels } from "../config.ts";
import { encodePng, toUint8Grid } from "../io/image.ts";
import type { StyledGenerator } from "../models/generator.ts";
import { Rng } from "../rng.ts";
import { disposeAll, drawLatents, drawNoiseSeeds } from "./_random.ts";
import {
  type ImageGrid,
  meanFor,
  meanStyle,
  renderLatents,
  resolveStep,
  type TruncationOptions,
} from "./sample.ts";

/** Options of {@linkcode noiseVariation}. */
export interface NoiseVariationOptions extends TruncationOptions {
  /** Seed of the latent and the noise draws. Default 0. */
  seed?: number;
  /** Noise draws (the paper's standard deviation uses 100). Default 32. */
  draws?: number;
  /** Draws shown in the PNG before the standard deviation image. Default min(draws, 7). */
  show?: number;
  /** Output level. Default: the top level. */
  step?: number;
  /** Grid padding in pixels. Default 2. */
  padding?: number;
  /** Images per generator call. Default 8. */
  batchSize?: number;
}

/** Stochastic variation of one latent. */
export interface NoiseVariation extends ImageGrid {
  /** Per-pixel standard deviation over the draws, averaged over RGB, [1, R, R, 1] (owned by the caller). */
  std: tf.Tensor4D;
}

/**
 * One latent rendered with `draws` noise draws, plus the per-pixel standard deviation over them.
 * The PNG shows `show` draws and then the standard deviation, scaled so its maximum is white.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { StyledGenerator } from "../models/generator.ts";
 * import { PRESETS } from "../config.ts";
 * import { noiseVariation } from "./figures.ts";
 * const g = new StyledGenerator({ config: PRESETS.tiny });
 * const { images, std } = await noiseVariation(g, { draws: 4, step: 1 });
 * console.log(images.shape, std.shape); // [4, 8, 8, 3] [1, 8, 8, 1]
 * tf.dispose([images, std]);
 * ```
 */
export async function noiseVariation(
  g: StyledGenerator,
  options: NoiseVariationOptions = {},
): Promise<NoiseVariation> {
  const { seed = 0, draws = 32 } = options;
  if (!Number.isInteger(draws) || draws < 2) {
    throw new Error(`Noise variation needs an integer number of draws >= 2, got ${draws}`);
  }
  const show = Math.min(draws, options.show ?? 7);
  const rng = new Rng(seed);
  const z = tf.tidy(() => tf.tile(drawLatents(rng, 1, g.config.styleDim), [draws, 1]));
  const noiseSeeds = drawNoiseSeeds(rng, draws, numLevels(g.config));
  const { mean, owned } = meanFor(g, options);
  const images = renderLatents(g, z, { ...options, meanStyle: mean, noiseSeeds });
  disposeAll([z]);
  if (owned) mean?.dispose();
  const std = tf.tidy(() => {
    const { variance } = tf.moments(images, 0, true); // [1, R, R, 3]
    return tf.mean(tf.sqrt(variance), 3, true) as tf.Tensor4D;
  });
  try {
    const picture = tf.tidy(() => {
      const shown = tf.slice(images, [0, 0, 0, 0], [show, -1, -1, -1]);
      const scaled = tf.sub(tf.mul(tf.div(std, tf.maximum(tf.max(std), 1e-8)), 2), 1);
      return tf.concat([shown, tf.tile(scaled, [1, 1, 1, 3])], 0) as tf.Tensor4D;
    });
    const grid = await toUint8Grid(picture, { cols: show + 1, padding: options.padding });
    picture.dispose();
    return { images, std, png: encodePng(grid) };
  } catch (error) {
    disposeAll([images, std]);
    throw error;
  }
}

/** The psi values of the paper's Figure 8. */
export const PAPER_PSIS: readonly number[] = [1, 0.7, 0.5, 0, -0.5, -1];

/** Options of {@linkcode truncationSweep}. */
export interface TruncationSweepOptions extends Omit<TruncationOptions, "psi"> {
  /** Seed of the latents, the noise and the mean style. Default 0. */
  seed?: number;
  /** Latents, one row each. Default 4. */
  n?: number;
  /** psi per column. Default {@linkcode PAPER_PSIS}. */
  psis?: readonly number[];
  /** Output level. Default: the top level. */
  step?: number;
  /** Grid padding in pixels. Default 2. */
  padding?: number;
  /** Images per generator call. Default 8. */
  batchSize?: number;
}

/**
 * The truncation sweep: `n` latents (rows) at each psi (columns), all with one shared noise draw,
 * so the psi 0 column is the same image, G(mean w), in every row.
 *
 * @example
 * ```ts
 * import { StyledGenerator } from "../models/generator.ts";
 * import { PRESETS } from "../config.ts";
 * import { truncationSweep } from "./figures.ts";
 * const g = new StyledGenerator({ config: PRESETS.tiny });
 * const { images } = await truncationSweep(g, { n: 2, psis: [1, 0], step: 1 });
 * console.log(images.shape); // [4, 8, 8, 3]
 * images.dispose();
 * ```
 */
export async function truncationSweep(
  g: StyledGenerator,
  options: TruncationSweepOptions = {},
): Promise<ImageGrid> {
  const { seed = 0, n = 4, psis = PAPER_PSIS } = options;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`Sweep rows must be a positive integer, got ${n}`);
  }
  if (psis.length === 0) throw new Error("A truncation sweep needs at least one psi");
  const step = resolveStep(g, options.step);
  const rng = new Rng(seed);
  const z = drawLatents(rng, n, g.config.styleDim);
  const noiseSeeds = drawNoiseSeeds(rng, 1, numLevels(g.config));
  const mean = options.meanStyle ?? meanStyle(g, { seed });
  const columns: tf.Tensor4D[] = [];
  try {
    for (const psi of psis) {
      columns.push(renderLatents(g, z, { ...options, step, psi, meanStyle: mean, noiseSeeds }));
    }
    // Columns [n, R, R, 3] per psi -> row-major grid order (latent-major).
    const images = tf.tidy(() => {
      const stacked = tf.stack(columns, 1); // [n, psis, R, R, 3]
      const r = 4 * 2 ** step;
      return tf.reshape(stacked, [n * psis.length, r, r, 3]) as tf.Tensor4D;
    });
    try {
      const grid = await toUint8Grid(images, { cols: psis.length, padding: options.padding });
      return { images, png: encodePng(grid) };
    } catch (error) {
      images.dispose();
      throw error;
    }
  } finally {
    disposeAll([z, ...columns]);
    if (!options.meanStyle) mean.dispose();
  }
}
