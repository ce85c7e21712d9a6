import assert from "node:assert/strict";
// imagescript's wasm GIF decoder: no native addon, so decoding needs no --allow-ffi.
import gifCodec from "imagescript/wasm/node/gif.js";
import { Rng } from "../rng.ts";
import { encodeGif } from "./gif.ts";
import type { RasterImage } from "./image.ts";

interface DecodedFrame {
  width: number;
  height: number;
  delay: number;
  buffer: Uint8Array; // RGBA
}

async function decodeGif(
  bytes: Uint8Array,
): Promise<{ width: number; height: number; frames: DecodedFrame[] }> {
  const codec = await (gifCodec as {
    init(): Promise<
      {
        Decoder: new (
          b: Uint8Array,
        ) => { width: number; height: number; frames(): Iterable<DecodedFrame> };
      }
    >;
  }).init();
  const decoder = new codec.Decoder(bytes);
  return { width: decoder.width, height: decoder.height, frames: [...decoder.frames()] };
}

/** Frames whose pixels take at most `colors` distinct values (each alone in its 5-bit bin). */
function palettedFrames(
  n: number,
  width: number,
  height: number,
  colors: number,
  seed: number,
): RasterImage[] {
  const rng = new Rng(seed);
  const palette = Array.from(
    { length: colors },
    (_, i) => [(i * 8) % 256, (i * 40) % 256, (i * 72) % 256],
  );
  return Array.from({ length: n }, () => {
    const data = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) data.set(palette[rng.int(colors)], 3 * p);
    return { width, height, channels: 3 as const, data };
  });
}

function maxError(frame: DecodedFrame, image: RasterImage): number {
  let err = 0;
  for (let p = 0; p < image.width * image.height; p++) {
    for (let c = 0; c < 3; c++) {
      err = Math.max(err, Math.abs(frame.buffer[4 * p + c] - image.data[image.channels * p + c]));
    }
  }
  return err;
}

Deno.test("a GIF decodes to its frame count, size and delay", async () => {
  const frames = palettedFrames(7, 13, 5, 20, 1);
  const { width, height, frames: decoded } = await decodeGif(encodeGif(frames, { delayMs: 120 }));
  assert.deepStrictEqual([width, height, decoded.length], [13, 5, 7]);
  for (const f of decoded) assert.deepStrictEqual([f.width, f.height, f.delay], [13, 5, 12]);
});

Deno.test("median cut is exact for up to 256 colours, over LZW table resets", async () => {
  // 160x160 px of random picks among 200 colours: far more than 4096 codes per frame.
  const frames = palettedFrames(2, 160, 160, 200, 2);
  const gif = encodeGif(frames);
  const { frames: decoded } = await decodeGif(gif);
  assert.deepStrictEqual(decoded.length, 2);
  decoded.forEach((f, i) => assert.deepStrictEqual(maxError(f, frames[i]), 0));
});

Deno.test("the colour cube keeps each channel within half a cube step", async () => {
  const rng = new Rng(3);
  const data = new Uint8Array(64 * 48 * 4).map(() => rng.int(256));
  const frame: RasterImage = { width: 64, height: 48, channels: 4, data };
  const { frames: decoded } = await decodeGif(encodeGif([frame], { palette: "cube" }));
  assert.ok(maxError(decoded[0], frame) <= 26); // steps of 51 (R, B) and 42.5 (G)
});

Deno.test("the NETSCAPE extension carries the loop count", () => {
  const frames = palettedFrames(2, 4, 4, 3, 4);
  const find = (gif: Uint8Array) => {
    const at = new TextDecoder("latin1").decode(gif).indexOf("NETSCAPE2.0");
    return gif[at + 13] | (gif[at + 14] << 8);
  };
  assert.deepStrictEqual(find(encodeGif(frames)), 0);
  assert.deepStrictEqual(find(encodeGif(frames, { loop: 3 })), 3);
});

Deno.test("encodeGif rejects frames of different sizes, naming the frame", () => {
  const [a] = palettedFrames(1, 4, 4, 3, 5);
  const [b] = palettedFrames(1, 5, 4, 3, 5);
  assert.throws(() => encodeGif([a, b]), /GIF frame 1 is 5x4/);
  assert.throws(() => encodeGif([]), /at least one frame/);
});
