import assert from "node:assert/strict";
import {
  centerCrop,
  cropResizeArea,
  type DecodedImage,
  downsampleLevels,
  halve,
  toBytes,
} from "./resize.ts";
import { decodeImage } from "./decode.ts";
import { compareToReference, referenceAreaResize } from "./_testing.ts";

const FIXTURES = new URL("../../tests/fixtures/images/", import.meta.url);
const WHITE: [number, number, number] = [255, 255, 255];

function gray(width: number, height: number, values: number[]): DecodedImage {
  return { width, height, channels: 1, data: Uint8Array.from(values) };
}

Deno.test("area resize of 3x3 to 2x2 weights border pixels by their covered area (by hand)", () => {
  // Output (0, 0) covers [0, 1.5)^2: weights 1, 0.5, 0.5, 0.25 over an area of 2.25.
  const image = gray(3, 3, [0, 90, 180, 30, 120, 210, 60, 150, 240]);
  const out = cropResizeArea(image, 2, { background: WHITE });
  const expected00 = (0 * 1 + 90 * 0.5 + 30 * 0.5 + 120 * 0.25) / 2.25;
  assert.ok(Math.abs(out[0] - expected00) < 1e-12, `${out[0]} vs ${expected00}`);
  assert.deepEqual(
    Array.from(out.subarray(0, 3)).map((v) => v.toFixed(9)),
    Array(3).fill(expected00.toFixed(9)),
  );
});

Deno.test("integer factors give the plain block mean, and non-square inputs are center-cropped", () => {
  // 6x4: the crop is columns 1..4; 4 -> 2 averages 2x2 blocks.
  const values = Array.from({ length: 24 }, (_, i) => (i % 6) * 10 + Math.floor(i / 6));
  const out = cropResizeArea(gray(6, 4, values), 2, { background: WHITE });
  const at = (x: number, y: number) => values[y * 6 + x];
  const block = (x: number, y: number) =>
    (at(x, y) + at(x + 1, y) + at(x, y + 1) + at(x + 1, y + 1)) / 4;
  assert.deepEqual([out[0], out[3], out[6], out[9]], [
    block(1, 0),
    block(3, 0),
    block(1, 2),
    block(3, 2),
  ]);
  assert.deepEqual(centerCrop(37, 53), { x: 0, y: 8, side: 37 });
  assert.deepEqual(centerCrop(96, 64), { x: 16, y: 0, side: 64 });
});

Deno.test("halving an area resize equals the area resize to half the size", () => {
  const image = gray(37, 37, Array.from({ length: 37 * 37 }, (_, i) => (i * 7919) % 256));
  const direct = cropResizeArea(image, 8, { background: WHITE });
  const chained = halve(cropResizeArea(image, 16, { background: WHITE }), 16);
  for (let i = 0; i < direct.length; i++) assert.ok(Math.abs(direct[i] - chained[i]) < 1e-9);
  assert.throws(() => halve(new Float64Array(27), 3), RangeError);
});

Deno.test("transparent pixels are composited over the background before averaging", () => {
  // One opaque red pixel, one half-transparent blue, two fully transparent.
  const data = Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 128, 9, 9, 9, 0, 0, 0, 0, 0]);
  const image: DecodedImage = { width: 2, height: 2, channels: 4, data };
  const [onWhite] = downsampleLevels(image, [1], { background: WHITE });
  const [onBlack] = downsampleLevels(image, [1], { background: [0, 0, 0] });
  // Per channel: (red + (128 * blue + 127 * bg) / 255 + bg + bg) / 4, rounded.
  // White: R (255 + 127 + 255 + 255) / 4 = 223, G (0 + 127 + 510) / 4 = 159.25, B (0 + 255 + 510) / 4 = 191.25.
  assert.deepEqual(Array.from(onWhite), [223, 159, 191]);
  // Black: R 255 / 4 = 63.75, G 0, B 128 / 4 = 32.
  assert.deepEqual(Array.from(onBlack), [64, 0, 32]);
});

Deno.test("every level of every fixture equals the independent 2-D area average, rounded", async () => {
  const names = [
    "landscape_rgb_96x64.png",
    "odd_rgb_37x53.png",
    "sprite_rgba_64x64.png",
    "gray_alpha_la_40x44.png",
    "palette_p_40x40.png",
    "photo_rgb_80x60.jpg",
    "more/gray_33x33.jpeg",
    "more/cmyk_32x32.jpg",
  ];
  for (const name of names) {
    const image = await decodeImage(await Deno.readFile(new URL(name, FIXTURES)), name);
    for (const background of [WHITE, [12, 200, 77] as [number, number, number]]) {
      const sizes = [32, 16, 8, 4];
      const levels = downsampleLevels(image, sizes, { background });
      sizes.forEach((size, k) => {
        const { wrong, first } = compareToReference(
          levels[k],
          referenceAreaResize(image, size, background),
        );
        assert.equal(
          wrong,
          0,
          `${name} at ${size} px on ${background}: ${wrong} values differ, ${first}`,
        );
      });
    }
  }
});

Deno.test("downsampleLevels rejects upsampling and non-halving size lists", () => {
  const image = gray(37, 53, new Array(37 * 53).fill(1));
  assert.throws(
    () => downsampleLevels(image, [64, 32], { background: WHITE }),
    /37x53 is too small: its 37 px square crop is below 64 px/,
  );
  assert.throws(() => downsampleLevels(image, [32, 8], { background: WHITE }), RangeError);
  assert.deepEqual(Array.from(toBytes(Float64Array.from([-3, 0.5, 254.49, 999]))), [
    0,
    1,
    254,
    255,
  ]);
});
