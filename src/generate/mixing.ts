/**
 * The style mixing figure (paper Figure 3, the reference's `style_mixing` in `generate.py`):
 * sources across the top, targets down the side, and in each cell the target's latent with the
 * source's styles at a range of levels.
 *
 * Level ranges as in the paper: coarse = 4²-8² (levels 0-1: pose, face shape), middle = 16²-32²
 * (levels 2-3: features, hair style), fine = 64² up (levels 4+: colour scheme, micro-structure).
 *
 * @example
 * ```ts ignore
 * import { styleMixingGrid } from "./mixing.ts";
 * const { images, png } = await styleMixingGrid(g, { sources: 5, targets: 3, range: "coarse" });
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
  renderStyles,
  resolveStep,
  type TruncationOptions,
} from "./sample.ts";

/** A named range of levels, or levels [lo, hi] inclusive. */
export type LevelRange = "coarse" | "middle" | "fine" | [number, number];

const NAMED_RANGES: Record<"coarse" | "middle" | "fine", [number, number]> = {
  coarse: [0, 1], // 4 and 8 px
  middle: [2, 3], // 16 and 32 px
  fine: [4, Infinity], // 64 px and up
};

/**
 * The levels [lo, hi] a range covers on a generator rendering up to `step`, clamped to 0..step.
 * Throws when nothing is left (e.g. `fine` on a 32 px model), naming the levels there are.
 *
 * @example
 * ```ts
 * import { mixingLevels } from "./mixing.ts";
 * console.log(mixingLevels("fine", 5)); // [4, 5]
 * console.log(mixingLevels("middle", 2)); // [2, 2]
 * ```
 */
export function mixingLevels(range: LevelRange, step: number): [number, number] {
  const [lo, hi] = typeof range === "string" ? NAMED_RANGES[range] ?? [] : range;
  if (lo === undefined || hi === undefined || !(lo <= hi)) {
    throw new Error(
      `Unknown mixing range ${JSON.stringify(range)}: expected coarse, middle, fine or [lo, hi]`,
    );
  }
  const clamped: [number, number] = [Math.max(0, lo), Math.min(step, hi)];
  if (clamped[0] > clamped[1]) {
    const px = (i: number) => 4 * 2 ** i;
    throw new Error(
      `Mixing range ${JSON.stringify(range)} holds no level of a ${px(step)} px output ` +
        `(levels 0-${step}, ${px(0)}-${px(step)} px)`,
    );
  }
  return clamped;
}

/** Options of {@linkcode styleMixingGrid}. */
export interface StyleMixingOptions extends Omit<TruncationOptions, "cutoff"> {
  /** Source latents across the top: a count (drawn from the seed, default 5) or z [S, styleDim]. */
  sources?: number | tf.Tensor2D;
  /** Target latents down the side: a count (default 3) or z [T, styleDim]. */
  targets?: number | tf.Tensor2D;
  /** Levels that take the source's styles. Default `coarse`. */
  range?: LevelRange;
  /** Seed of the latents and the noise. Default 0. */
  seed?: number;
  /** Output level. Default: the top level. */
  step?: number;
  /** Noise for every cell, [1, 4 * 2 ** i, 4 * 2 ** i, 1] per level; drawn from the seed when omitted. */
  noise?: tf.Tensor4D[];
  /** Grid padding in pixels. Default 2. */
  padding?: number;
  /** Images per generator call. Default 8. */
  batchSize?: number;
}

/**
 * The style mixing grid: (T + 1) rows x (S + 1) columns, a black corner, the sources in the top
 * row, the targets in the left column, and cell (t, s) = G([z_t, z_s]) with the source's styles
 * at the range's levels (the reference's `mixing_range`). One noise draw is shared by every cell,
 * so cells differ only by style.
 *
 * @example
 * ```ts
 * import { StyledGenerator } from "../models/generator.ts";
 * import { PRESETS } from "../config.ts";
 * import { styleMixingGrid } from "./mixing.ts";
 * const g = new StyledGenerator({ config: PRESETS.tiny });
 * const { images } = await styleMixingGrid(g, { sources: 2, targets: 2, range: "coarse", step: 1 });
 * console.log(images.shape); // [9, 8, 8, 3]
 * images.dispose();
 * ```
 */
export async function styleMixingGrid(
  g: StyledGenerator,
  options: StyleMixingOptions = {},
): Promise<ImageGrid> {
  const { sources = 5, targets = 3, range = "coarse", seed = 0, batchSize } = options;
  const step = resolveStep(g, options.step);
  const levels = mixingLevels(range, step);
  const rng = new Rng(seed);
  const dim = g.config.styleDim;
  const zs = typeof sources === "number" ? drawLatents(rng, sources, dim) : sources;
  const zt = typeof targets === "number" ? drawLatents(rng, targets, dim) : targets;
  const noiseSeeds = drawNoiseSeeds(rng, 1, numLevels(g.config));
  const { mean, owned } = meanFor(g, options);
  const [nS, nT] = [zs.shape[0], zt.shape[0]];
  const render = (styles: tf.Tensor2D[], mixingRange?: [number, number]) =>
    renderStyles(g, styles, {
      step,
      psi: options.psi,
      meanStyle: mean,
      mixingRange,
      noiseSeeds,
      noise: options.noise,
      batchSize,
    });
  const ws = g.mapping.apply(zs);
  const wt = g.mapping.apply(zt);
  const rows: tf.Tensor4D[] = [];
  try {
    const size = 4 * 2 ** step;
    rows.push(tf.fill([1, size, size, 3], -1) as tf.Tensor4D, render([ws]));
    for (let t = 0; t < nT; t++) {
      const target = tf.slice(wt, [t, 0], [1, -1]);
      const repeated = tf.tile(target, [nS, 1]);
      rows.push(render([target]), render([repeated, ws], levels));
      disposeAll([target, repeated]);
    }
    const images = tf.concat(rows, 0);
    try {
      const grid = await toUint8Grid(images, { cols: nS + 1, padding: options.padding });
      return { images, png: encodePng(grid) };
    } catch (error) {
      images.dispose();
      throw error;
    }
  } finally {
    disposeAll([...rows, ws, wt]);
    if (typeof sources === "number") zs.dispose();
    if (typeof targets === "number") zt.dispose();
    if (owned) mean?.dispose();
  }
}
