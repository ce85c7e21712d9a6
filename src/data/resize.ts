/**
 * Area-average downsampling of decoded images: composite over a background, center-crop to a
 * square, resample with exact area weights, then halve with a 2x2 box filter for smaller levels.
 *
 * Pure array code (no Deno APIs): it runs in workers and in the browser alike.
 *
 * Why this filter: every output pixel is the mean of the source area it covers (a box filter whose
 * footprint is the output pixel). For integer ratios that is the plain k x k block mean; for other
 * ratios the source pixels on the border of the footprint count with the fraction of their area
 * that lies inside it. Area resizing to 2s and then box-halving gives the area resize to s exactly
 * (the 2x2 footprints tile the s-pixel's footprint), so the levels of a dataset are computed by one
 * area resize to the largest size followed by halvings, in float64, rounded to uint8 per level.
 * Averaging happens on the sRGB values, as PIL and OpenCV's INTER_AREA do.
 *
 * @example Levels of one image
 * ```ts
 * import { downsampleLevels } from "./resize.ts";
 * const image = { width: 3, height: 2, channels: 3 as const, data: new Uint8Array(18).fill(200) };
 * const [level2, level1] = downsampleLevels(image, [2, 1], { background: [255, 255, 255] });
 * // level2: 2 x 2 x 3 bytes, level1: 1 x 1 x 3 bytes, all 200
 * ```
 *
 * @module
 */
import type { Rgb } from "../types.ts";

/** A decoded image: `channels` = 1 (gray), 3 (RGB) or 4 (RGBA, straight alpha), row-major. */
export interface DecodedImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Interleaved samples per pixel. */
  channels: 1 | 3 | 4;
  /** `width * height * channels` bytes, rows top to bottom. */
  data: Uint8Array;
}

export type { Rgb };

/** Options for the resampling functions. */
export interface ResizeOptions {
  /** Color composited behind transparent pixels (RGBA inputs only). */
  background: Rgb;
}

/** Sparse 1-D area weights: output `j` reads `count[j]` source samples from `start[j]`. */
interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  /** Flattened weights, `maxCount` per output, each row summing to 1. */
  weights: Float64Array;
  maxCount: number;
}

/** Area weights that map `srcLength` samples starting at `offset` onto `dstLength` samples. */
function axisWeights(srcLength: number, dstLength: number, offset: number): AxisWeights {
  const maxCount = Math.ceil(srcLength / dstLength) + 1;
  const start = new Int32Array(dstLength);
  const count = new Int32Array(dstLength);
  const weights = new Float64Array(dstLength * maxCount);
  for (let j = 0; j < dstLength; j++) {
    // Footprint [x0, x1) in source pixels; products of integers keep integer ratios exact.
    const x0 = (j * srcLength) / dstLength;
    const x1 = ((j + 1) * srcLength) / dstLength;
    const first = Math.floor(x0);
    const last = Math.ceil(x1) - 1;
    start[j] = offset + first;
    count[j] = last - first + 1;
    for (let i = first; i <= last; i++) {
      const overlap = Math.min(i + 1, x1) - Math.max(i, x0);
      weights[j * maxCount + i - first] = (overlap * dstLength) / srcLength;
    }
  }
  return { start, count, weights, maxCount };
}

/**
 * The centered square crop of an image: side `min(width, height)`, offsets floored.
 *
 * @example
 * ```ts
 * import { centerCrop } from "./resize.ts";
 * centerCrop(37, 53); // { x: 0, y: 8, side: 37 }
 * ```
 */
export function centerCrop(width: number, height: number): { x: number; y: number; side: number } {
  const side = Math.min(width, height);
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), side };
}

/**
 * Composites one source row (pixels `x0 .. x0 + length`) to RGB floats over the background.
 * Straight alpha: `out = (a * c + (255 - a) * bg) / 255`.
 */
function rowToRgb(image: DecodedImage, y: number, bg: Rgb, out: Float64Array): void {
  const { width, channels, data } = image;
  let p = y * width * channels;
  for (let x = 0, o = 0; x < width; x++, o += 3, p += channels) {
    if (channels === 1) {
      out[o] = out[o + 1] = out[o + 2] = data[p];
    } else if (channels === 3) {
      out[o] = data[p];
      out[o + 1] = data[p + 1];
      out[o + 2] = data[p + 2];
    } else {
      const a = data[p + 3];
      if (a === 255) {
        out[o] = data[p];
        out[o + 1] = data[p + 1];
        out[o + 2] = data[p + 2];
      } else {
        const b = 255 - a;
        out[o] = (a * data[p] + b * bg[0]) / 255;
        out[o + 1] = (a * data[p + 1] + b * bg[1]) / 255;
        out[o + 2] = (a * data[p + 2] + b * bg[2]) / 255;
      }
    }
  }
}

/**
 * Area-resamples the centered square crop of `image` to `size` x `size` RGB, in float64 [0, 255].
 * Throws when the crop is smaller than `size` (this module never upsamples).
 *
 * @example
 * ```ts
 * import { cropResizeArea } from "./resize.ts";
 * const gray = { width: 4, height: 4, channels: 1 as const, data: new Uint8Array(16).fill(10) };
 * const out = cropResizeArea(gray, 2, { background: [0, 0, 0] }); // Float64Array(12), all 10
 * ```
 */
export function cropResizeArea(
  image: DecodedImage,
  size: number,
  options: ResizeOptions,
): Float64Array {
  const { x, y, side } = centerCrop(image.width, image.height);
  if (side < size) {
    throw new RangeError(
      `Image ${image.width}x${image.height} is too small: its ${side} px square crop is below ${size} px`,
    );
  }
  const h = axisWeights(side, size, x);
  const v = axisWeights(side, size, y);
  const row = new Float64Array(image.width * 3);
  const horizontal = new Float64Array(side * size * 3); // [side rows, size, 3]
  for (let r = 0; r < side; r++) {
    rowToRgb(image, y + r, options.background, row);
    const base = r * size * 3;
    for (let j = 0; j < size; j++) {
      let s0 = 0, s1 = 0, s2 = 0;
      const w0 = j * h.maxCount;
      for (let k = 0, p = h.start[j] * 3; k < h.count[j]; k++, p += 3) {
        const w = h.weights[w0 + k];
        s0 += w * row[p];
        s1 += w * row[p + 1];
        s2 += w * row[p + 2];
      }
      horizontal[base + j * 3] = s0;
      horizontal[base + j * 3 + 1] = s1;
      horizontal[base + j * 3 + 2] = s2;
    }
  }
  const out = new Float64Array(size * size * 3);
  const rowLength = size * 3;
  for (let i = 0; i < size; i++) {
    const w0 = i * v.maxCount;
    const target = i * rowLength;
    for (let k = 0; k < v.count[i]; k++) {
      const w = v.weights[w0 + k];
      const source = (v.start[i] - y + k) * rowLength;
      for (let c = 0; c < rowLength; c++) out[target + c] += w * horizontal[source + c];
    }
  }
  return out;
}

/**
 * Halves a `size` x `size` x 3 float image with a 2x2 box filter (the exact area resize by 1/2).
 *
 * @example
 * ```ts
 * import { halve } from "./resize.ts";
 * const half = halve(new Float64Array(4 * 4 * 3).fill(1), 4); // 2 x 2 x 3, all 1
 * ```
 */
export function halve(image: Float64Array, size: number): Float64Array {
  if (size % 2 !== 0 || image.length !== size * size * 3) {
    throw new RangeError(
      `halve expects an even size and ${size}x${size}x3 values, got ${image.length}`,
    );
  }
  const half = size / 2;
  const out = new Float64Array(half * half * 3);
  const row = size * 3;
  for (let i = 0; i < half; i++) {
    for (let j = 0; j < half; j++) {
      const p = 2 * i * row + 2 * j * 3;
      const o = (i * half + j) * 3;
      for (let c = 0; c < 3; c++) {
        out[o + c] =
          (image[p + c] + image[p + 3 + c] + image[p + row + c] + image[p + row + 3 + c]) / 4;
      }
    }
  }
  return out;
}

/**
 * Rounds float samples in [0, 255] to bytes (round half up, clamped).
 *
 * @example
 * ```ts
 * import { toBytes } from "./resize.ts";
 * toBytes(new Float64Array([0.4, 127.5, 300])); // Uint8Array [0, 128, 255]
 * ```
 */
export function toBytes(image: Float64Array): Uint8Array {
  const out = new Uint8Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(image[i])));
  return out;
}

/**
 * All requested levels of one image, largest first: an area resize of the square crop to
 * `sizes[0]`, then successive 2x box halvings. `sizes` must be descending powers of two, each half
 * the previous one. Returns one `size * size * 3` byte array (HWC, RGB) per size.
 *
 * @example
 * ```ts
 * import { downsampleLevels } from "./resize.ts";
 * const rgba = { width: 2, height: 2, channels: 4 as const, data: new Uint8Array(16) };
 * // Fully transparent black over white is white.
 * const [one] = downsampleLevels(rgba, [1], { background: [255, 255, 255] }); // [255, 255, 255]
 * ```
 */
export function downsampleLevels(
  image: DecodedImage,
  sizes: number[],
  options: ResizeOptions,
): Uint8Array[] {
  for (let i = 1; i < sizes.length; i++) {
    if (sizes[i] * 2 !== sizes[i - 1]) {
      throw new RangeError(`downsampleLevels expects halving sizes, got ${sizes.join(", ")}`);
    }
  }
  const levels: Uint8Array[] = [];
  let current = cropResizeArea(image, sizes[0], options);
  levels.push(toBytes(current));
  for (let i = 1; i < sizes.length; i++) {
    current = halve(current, sizes[i - 1]);
    levels.push(toBytes(current));
  }
  return levels;
}
