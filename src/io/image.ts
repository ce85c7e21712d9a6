/**
 * Generated images as bytes: [N, H, W, C] tensors in [-1, 1] to 8-bit pixels, image grids, PNG.
 *
 * Pixels follow the reference's `torchvision.utils.save_image(normalize=True, range=(-1, 1))`:
 * clamp to [-1, 1], map to [0, 255], round half up. Grids are laid out as torchvision's
 * `make_grid`: `padding` pixels between cells and around the border. PNG encoding is imagescript's
 * pure-JS encoder (no native addon), so all of this runs in a browser.
 *
 * @example Encode a batch as one PNG grid
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { encodePng, toUint8Grid } from "./image.ts";
 * const images = tf.zeros([4, 8, 8, 3]) as tf.Tensor4D;
 * const grid = await toUint8Grid(images, { cols: 2, padding: 2 });
 * const png = encodePng(grid);
 * console.log(grid.width, grid.height, png.length > 0); // 22 22 true
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
// @ts-types="./_png.d.ts"
import { encode as encodePngBytes } from "imagescript/png/src/png.mjs";

/** An 8-bit image, rows top to bottom, `channels` bytes per pixel (RGB or RGBA). */
export interface RasterImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 3 (RGB) or 4 (RGBA). */
  channels: 3 | 4;
  /** `height * width * channels` bytes. */
  data: Uint8Array;
}

/** Options of {@linkcode toUint8Grid} and {@linkcode gridFromBytes}. */
export interface GridOptions {
  /** Cells per row. Default `ceil(sqrt(N))`. */
  cols?: number;
  /** Pixels between cells and around the border (torchvision's default 2). */
  padding?: number;
  /** Byte value of the padding, 0 (black, default) to 255. */
  padValue?: number;
  /** Output channels: 3 (RGB, default) or 4 (RGBA, opaque). */
  channels?: 3 | 4;
}

/**
 * Images [N, H, W, C] in about [-1, 1] (C = 3, or 1 for gray) -> NHWC RGB bytes, as the
 * reference saves them. The tensor is not disposed.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { toUint8 } from "./image.ts";
 * console.log(await toUint8(tf.tensor4d([-1, 0, 1], [1, 1, 1, 3]))); // Uint8Array [0, 128, 255]
 * ```
 */
export async function toUint8(images: tf.Tensor4D): Promise<Uint8Array> {
  const channels = images.shape[3];
  if (channels !== 3 && channels !== 1) {
    throw new Error(`Images must be [N, H, W, 3] or [N, H, W, 1], got [${images.shape}]`);
  }
  const bytes = tf.tidy(() => {
    const rgb = channels === 1 ? tf.tile(images, [1, 1, 1, 3]) : images;
    const scaled = tf.add(tf.mul(tf.clipByValue(rgb, -1, 1), 127.5), 128); // (x+1)/2*255 + 0.5
    return tf.cast(tf.clipByValue(tf.floor(scaled), 0, 255), "int32");
  });
  const data = await bytes.data();
  bytes.dispose();
  return Uint8Array.from(data);
}

/**
 * Lays out NHWC RGB bytes `[n, h, w, 3]` as one grid image (pure: no tensors).
 *
 * @example
 * ```ts
 * import { gridFromBytes } from "./image.ts";
 * const grid = gridFromBytes(new Uint8Array(3 * 2 * 2 * 3), [3, 2, 2, 3], { cols: 3, padding: 1 });
 * console.log(grid.width, grid.height); // 10 4
 * ```
 */
export function gridFromBytes(
  pixels: Uint8Array,
  shape: readonly number[],
  options: GridOptions = {},
): RasterImage {
  const [n, h, w, c] = shape;
  if (shape.length !== 4 || c !== 3 || pixels.length !== n * h * w * 3) {
    throw new Error(
      `Grid pixels must be [N, H, W, 3] bytes, got [${shape}] (${pixels.length} bytes)`,
    );
  }
  const { padding = 2, padValue = 0, channels = 3 } = options;
  const cols = Math.max(1, Math.min(n, options.cols ?? Math.ceil(Math.sqrt(n))));
  if (!Number.isInteger(cols) || !Number.isInteger(padding) || padding < 0) {
    throw new Error(`Grid cols and padding must be non-negative integers, got ${cols}, ${padding}`);
  }
  const rows = Math.ceil(n / cols);
  const width = cols * (w + padding) + padding;
  const height = rows * (h + padding) + padding;
  const data = new Uint8Array(width * height * channels).fill(padValue);
  if (channels === 4) { for (let i = 3; i < data.length; i += 4) data[i] = 255; }
  for (let k = 0; k < n; k++) {
    const x0 = padding + (k % cols) * (w + padding);
    const y0 = padding + Math.floor(k / cols) * (h + padding);
    for (let y = 0; y < h; y++) {
      const src = ((k * h + y) * w) * 3;
      let dst = ((y0 + y) * width + x0) * channels;
      if (channels === 3) {
        data.set(pixels.subarray(src, src + w * 3), dst);
        continue;
      }
      for (let x = 0; x < w; x++, dst += 4) {
        data[dst] = pixels[src + 3 * x];
        data[dst + 1] = pixels[src + 3 * x + 1];
        data[dst + 2] = pixels[src + 3 * x + 2];
      }
    }
  }
  return { width, height, channels, data };
}

/**
 * Images [N, H, W, 3] (or gray [N, H, W, 1]) in [-1, 1] -> one grid image.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { toUint8Grid } from "./image.ts";
 * const grid = await toUint8Grid(tf.zeros([6, 4, 4, 3]) as tf.Tensor4D, { cols: 3, padding: 0 });
 * console.log(grid.width, grid.height); // 12 8
 * ```
 */
export async function toUint8Grid(
  images: tf.Tensor4D,
  options: GridOptions = {},
): Promise<RasterImage> {
  const [n, h, w] = images.shape;
  return gridFromBytes(await toUint8(images), [n, h, w, 3], options);
}

/**
 * Splits images [N, H, W, 3] into N RGB {@linkcode RasterImage}s (e.g. GIF frames).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { toRasterFrames } from "./image.ts";
 * console.log((await toRasterFrames(tf.zeros([2, 4, 4, 3]) as tf.Tensor4D)).length); // 2
 * ```
 */
export async function toRasterFrames(images: tf.Tensor4D): Promise<RasterImage[]> {
  const [n, height, width] = images.shape;
  const bytes = await toUint8(images);
  const size = height * width * 3;
  return Array.from({ length: n }, (_, k) => ({
    width,
    height,
    channels: 3 as const,
    data: bytes.slice(k * size, (k + 1) * size),
  }));
}

/**
 * Encodes an 8-bit RGB or RGBA image as PNG; `level` is the zlib level (0-9, default 6).
 *
 * @example
 * ```ts
 * import { encodePng } from "./image.ts";
 * const png = encodePng({ width: 2, height: 1, channels: 3, data: new Uint8Array(6) });
 * console.log(png.subarray(1, 4)); // "PNG" in ASCII: Uint8Array [80, 78, 71]
 * ```
 */
export function encodePng(image: RasterImage, options: { level?: number } = {}): Uint8Array {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels) {
    throw new Error(
      `PNG data must hold ${width}x${height}x${channels} bytes, got ${data.length}`,
    );
  }
  return encodePngBytes(data, { width, height, channels, level: options.level ?? 6 });
}
