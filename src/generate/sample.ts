/**
 * Sampling from a trained generator: the mean style, truncation, batched rendering from seeded
 * latents and noise, and a grid of random samples.
 *
 * Everything is reproducible from a seed: latents are {@linkcode Rng} normals and every image's
 * noise maps come from their own seeds (see `_random.ts`), so an image does not depend on the
 * batch size it was rendered with.
 *
 * @example Sixteen samples at psi 0.7 as a PNG grid
 * ```ts ignore
 * import { sampleGrid } from "./sample.ts";
 * const { images, png } = await sampleGrid(g, { n: 16, seed: 3, psi: 0.7 });
 * images.dispose();
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { numLevels } from "../config.ts";
import { encodePng, toUint8Grid } from "../io/image.ts";
import type { StyledGenerator } from "../models/generator.ts";
import { Rng } from "../rng.ts";
import { disposeAll, drawLatents, drawNoiseSeeds, noiseFromSeeds } from "./_random.ts";

/** The truncation trick (paper section 4.1 / appendix B): w' = mean + psi * (w - mean). */
export interface TruncationOptions {
  /** psi: 1 (default) leaves w as it is, 0 gives the mean style. */
  psi?: number;
  /** Truncate the levels below this one only (the official code's cutoff). Default: all levels. */
  cutoff?: number;
  /** The mean style [1, styleDim]; estimated with {@linkcode meanStyle} from the seed when omitted. */
  meanStyle?: tf.Tensor2D;
}

/** How {@linkcode renderStyles} renders. */
export interface RenderOptions extends Omit<TruncationOptions, "meanStyle"> {
  /** Output level: `4 * 2 ** step` px. Default: the top level. */
  step?: number;
  /** Required when psi is not 1. */
  meanStyle?: tf.Tensor2D;
  /** With two styles: levels lo..hi (inclusive) take the second style. */
  mixingRange?: [number, number];
  /** Noise seeds per image and level (`seeds[image][level]`); one row is shared by all images. */
  noiseSeeds?: number[][];
  /** Or noise maps shared by all images, [1, 4 * 2 ** i, 4 * 2 ** i, 1] for levels 0..step (kept). */
  noise?: tf.Tensor4D[];
  /** Images per generator call. Default 8. */
  batchSize?: number;
}

/**
 * Checks a step against a generator and returns it (the top level when undefined).
 *
 * @example
 * ```ts
 * import { StyledGenerator } from "../models/generator.ts";
 * import { PRESETS } from "../config.ts";
 * import { resolveStep } from "./sample.ts";
 * const g = new StyledGenerator({ config: PRESETS.tiny });
 * console.log(resolveStep(g), resolveStep(g, 1)); // 3 1
 * ```
 */
export function resolveStep(g: StyledGenerator, step?: number): number {
  const levels = numLevels(g.config);
  const s = step ?? levels - 1;
  if (!Number.isInteger(s) || s < 0 || s >= levels) {
    const sizes = Array.from({ length: levels }, (_, i) => 4 * 2 ** i);
    throw new Error(
      `Step ${s} is not a level of this generator: steps 0-${levels - 1} (${sizes} px)`,
    );
  }
  return s;
}

/**
 * Renders styles w (one batch [N, styleDim], or two for style mixing) into images
 * [N, R, R, 3], `batchSize` at a time, with truncation. Inputs are not disposed.
 *
 * @example
 * ```ts ignore
 * import { renderStyles } from "./sample.ts";
 * const w = g.mapping.apply(z);
 * const images = renderStyles(g, [w], { noiseSeeds: [[1, 2, 3, 4]], psi: 0.7, meanStyle });
 * ```
 */
export function renderStyles(
  g: StyledGenerator,
  styles: tf.Tensor2D[],
  options: RenderOptions,
): tf.Tensor4D {
  const { psi = 1, cutoff, meanStyle, mixingRange, noiseSeeds = [], batchSize = 8 } = options;
  const step = resolveStep(g, options.step);
  const n = styles[0].shape[0];
  if (styles.some((w) => w.shape[0] !== n)) {
    throw new Error(`Style batches differ in size: [${styles.map((w) => w.shape[0])}]`);
  }
  if (options.noise) {
    options.noise.slice(0, step + 1).forEach((t, i) => {
      const r = 4 * 2 ** i;
      if (t.shape.join() !== [1, r, r, 1].join()) {
        throw new Error(`Shared noise ${i} expected [1, ${r}, ${r}, 1], got [${t.shape}]`);
      }
    });
    if (options.noise.length <= step) throw new Error(`Noise must cover levels 0-${step}`);
  } else if (noiseSeeds.length !== 1 && noiseSeeds.length !== n) {
    throw new Error(`Expected 1 or ${n} rows of noise seeds, got ${noiseSeeds.length}`);
  } else if (noiseSeeds.some((s) => s.length <= step)) {
    throw new Error(`Noise seeds must cover levels 0-${step}`);
  }
  const truncate = psi !== 1;
  if (truncate && !meanStyle) throw new Error(`Truncation (psi ${psi}) needs the mean style`);
  if (truncate && cutoff !== undefined && styles.length > 1) {
    throw new Error("A truncation cutoff cannot be combined with style mixing");
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`Batch size must be a positive integer, got ${batchSize}`);
  }
  const shared = options.noise?.slice(0, step + 1) ??
    (noiseSeeds.length === 1 ? noiseFromSeeds(noiseSeeds, step) : undefined);
  const parts: tf.Tensor4D[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const noise = shared
      ? shared.map((t) => tf.tile(t, [size, 1, 1, 1]))
      : noiseFromSeeds(noiseSeeds.slice(start, start + size), step);
    const batch = styles.map((w) => tf.slice(w, [start, 0], [size, -1]));
    parts.push(g.synthesize(batch, {
      step,
      noise,
      mixingRange,
      ...(truncate ? { meanStyle, styleWeight: psi, truncationCutoff: cutoff } : {}),
    }));
    disposeAll([...noise, ...batch]);
  }
  if (shared && !options.noise) disposeAll(shared);
  if (parts.length === 1) return parts[0];
  const images = tf.concat(parts, 0);
  disposeAll(parts);
  return images;
}

/**
 * Maps latents z [N, styleDim] and renders them (see {@linkcode renderStyles}).
 *
 * @example
 * ```ts ignore
 * import { renderLatents } from "./sample.ts";
 * const images = renderLatents(g, z, { step: 2, noiseSeeds: [[1, 2, 3]] });
 * ```
 */
export function renderLatents(
  g: StyledGenerator,
  z: tf.Tensor2D,
  options: RenderOptions,
): tf.Tensor4D {
  const w = g.mapping.apply(z);
  try {
    return renderStyles(g, [w], options);
  } finally {
    w.dispose();
  }
}

/** Options of {@linkcode meanStyle}. */
export interface MeanStyleOptions {
  /** Seed of the latents. Default 0. */
  seed?: number;
  /** Latents averaged. Default 10 x 1024, as the reference's `get_mean_style`. */
  samples?: number;
  /** Latents mapped at a time. Default 1024. */
  batchSize?: number;
}

/**
 * The mean style: the average of the mapped latents of `samples` seeded z, [1, styleDim]. The
 * centre of W that truncation pulls towards.
 *
 * @example
 * ```ts
 * import { StyledGenerator } from "../models/generator.ts";
 * import { PRESETS } from "../config.ts";
 * import { meanStyle } from "./sample.ts";
 * const g = new StyledGenerator({ config: PRESETS.tiny });
 * const mean = meanStyle(g, { seed: 0, samples: 2048 });
 * console.log(mean.shape); // [1, 64]
 * ```
 */
export function meanStyle(g: StyledGenerator, options: MeanStyleOptions = {}): tf.Tensor2D {
  const { seed = 0, samples = 10 * 1024, batchSize = 1024 } = options;
  if (!Number.isInteger(samples) || samples < 1) {
    throw new Error(`Mean style samples must be a positive integer, got ${samples}`);
  }
  const rng = new Rng(seed);
  let sum = tf.zeros([1, g.config.styleDim]) as tf.Tensor2D;
  for (let done = 0; done < samples; done += batchSize) {
    const size = Math.min(batchSize, samples - done);
    const next = tf.tidy(() => {
      const z = drawLatents(rng, size, g.config.styleDim);
      return tf.add(sum, tf.mul(g.meanStyle(z), size)) as tf.Tensor2D;
    });
    sum.dispose();
    sum = next;
  }
  const mean = tf.div(sum, samples) as tf.Tensor2D;
  sum.dispose();
  return mean;
}

/**
 * The mean style to truncate with: none when psi is 1, else the given one (`owned` false: the
 * caller keeps it) or a new estimate from `seed` (`owned` true: dispose it when done).
 *
 * @example
 * ```ts
 * import { StyledGenerator } from "../models/generator.ts";
 * import { PRESETS } from "../config.ts";
 * import { meanFor } from "./sample.ts";
 * const g = new StyledGenerator({ config: PRESETS.tiny });
 * const { mean, owned } = meanFor(g, { psi: 0.7, seed: 0 });
 * console.log(mean?.shape, owned); // [1, 64] true
 * if (owned) mean?.dispose();
 * ```
 */
export function meanFor(
  g: StyledGenerator,
  options: TruncationOptions & { seed?: number },
): { mean?: tf.Tensor2D; owned: boolean } {
  if ((options.psi ?? 1) === 1) return { mean: options.meanStyle, owned: false };
  if (options.meanStyle) return { mean: options.meanStyle, owned: false };
  return { mean: meanStyle(g, { seed: options.seed }), owned: true };
}

/** Images and their picture. */
export interface ImageGrid {
  /** The images [N, R, R, 3] in about [-1, 1], in grid order (the caller disposes them). */
  images: tf.Tensor4D;
  /** The images as one PNG grid. */
  png: Uint8Array;
}

/** Options of {@linkcode sampleGrid}. */
export interface SampleGridOptions extends TruncationOptions {
  /** Number of images. Default 16. */
  n?: number;
  /** Seed of latents and noise. Default 0. */
  seed?: number;
  /** Output level: `4 * 2 ** step` px. Default: the top level. */
  step?: number;
  /** One noise draw shared by all images (then psi 0 gives n equal images). Default false. */
  sharedNoise?: boolean;
  /** Grid columns. Default `ceil(sqrt(n))`. */
  cols?: number;
  /** Grid padding in pixels. Default 2. */
  padding?: number;
  /** Images per generator call. Default 8. */
  batchSize?: number;
}

/**
 * `n` random samples from seeded latents and noise, with optional truncation, and their PNG grid.
 *
 * @example
 * ```ts
 * import { StyledGenerator } from "../models/generator.ts";
 * import { PRESETS } from "../config.ts";
 * import { sampleGrid } from "./sample.ts";
 * const g = new StyledGenerator({ config: PRESETS.tiny });
 * const { images, png } = await sampleGrid(g, { n: 4, seed: 1, step: 1 });
 * console.log(images.shape, png.length > 0); // [4, 8, 8, 3] true
 * images.dispose();
 * ```
 */
export async function sampleGrid(
  g: StyledGenerator,
  options: SampleGridOptions = {},
): Promise<ImageGrid> {
  const { n = 16, seed = 0, sharedNoise = false } = options;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`Sample count must be a positive integer, got ${n}`);
  }
  const rng = new Rng(seed);
  const z = drawLatents(rng, n, g.config.styleDim);
  const noiseSeeds = drawNoiseSeeds(rng, sharedNoise ? 1 : n, numLevels(g.config));
  const { mean, owned } = meanFor(g, options);
  try {
    const images = renderLatents(g, z, { ...options, meanStyle: mean, noiseSeeds });
    const grid = await toUint8Grid(images, { cols: options.cols, padding: options.padding });
    return { images, png: encodePng(grid) };
  } finally {
    z.dispose();
    if (owned) mean?.dispose();
  }
}
