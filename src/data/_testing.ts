/**
 * Test helpers for the data tests (not part of the public API): a deliberately plain 2-D area
 * average, written independently of `resize.ts` (no separable passes, no halving chain).
 *
 * @module
 */

import type { DecodedImage, Rgb } from "./resize.ts";

/** The RGB value of pixel (x, y) composited over `background` (straight alpha). */
export function compositeAt(image: DecodedImage, x: number, y: number, background: Rgb): Rgb {
  const p = (y * image.width + x) * image.channels;
  const d = image.data;
  if (image.channels === 1) return [d[p], d[p], d[p]];
  if (image.channels === 3) return [d[p], d[p + 1], d[p + 2]];
  const a = d[p + 3] / 255;
  return [0, 1, 2].map((c) => a * d[p + c] + (1 - a) * background[c]) as Rgb;
}

/**
 * Center-crops `image` to a square and area-averages it to `size` x `size`: each output pixel is
 * the sum of the source pixels weighted by the area they share with its footprint, divided by the
 * footprint's area. Returns unrounded floats, HWC.
 */
export function referenceAreaResize(
  image: DecodedImage,
  size: number,
  background: Rgb,
): Float64Array {
  const side = Math.min(image.width, image.height);
  const left = Math.floor((image.width - side) / 2);
  const top = Math.floor((image.height - side) / 2);
  const scale = side / size;
  const out = new Float64Array(size * size * 3);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const [y0, y1, x0, x1] = [i * scale, (i + 1) * scale, j * scale, (j + 1) * scale];
      const sum = [0, 0, 0];
      for (let v = Math.floor(y0); v < y1; v++) {
        for (let u = Math.floor(x0); u < x1; u++) {
          const area = (Math.min(v + 1, y1) - Math.max(v, y0)) *
            (Math.min(u + 1, x1) - Math.max(u, x0));
          const rgb = compositeAt(image, left + u, top + v, background);
          for (let c = 0; c < 3; c++) sum[c] += area * rgb[c];
        }
      }
      for (let c = 0; c < 3; c++) out[(i * size + j) * 3 + c] = sum[c] / (scale * scale);
    }
  }
  return out;
}

/**
 * Compares a byte image with reference floats. A value is `wrong` when it differs from the rounded
 * reference, except at exact ties (reference within 1e-9 of n + 0.5, where float rounding in
 * either computation may land on either side) when it is one of the two nearest integers.
 */
export function compareToReference(
  bytes: Uint8Array,
  reference: Float64Array,
): { wrong: number; first: string } {
  let wrong = 0, first = "";
  for (let i = 0; i < bytes.length; i++) {
    const ref = Math.min(255, Math.max(0, reference[i]));
    if (bytes[i] === Math.round(ref)) continue;
    const tie = Math.abs(ref - Math.floor(ref) - 0.5) < 1e-9 &&
      Math.abs(Math.abs(bytes[i] - ref) - 0.5) < 1e-9;
    if (tie) continue;
    if (wrong++ === 0) first = `value ${i}: got ${bytes[i]}, reference ${ref}`;
  }
  return { wrong, first };
}
