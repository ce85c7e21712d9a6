/**
 * A small GIF89a encoder in plain TypeScript (imagescript's GIF encoder is a native addon; this
 * one runs in a browser): one global 256-entry palette for all frames, LZW-compressed frames and a
 * NETSCAPE2.0 looping extension.
 *
 * The palette is either a median cut of all frames' colours (default: best for the smooth colour
 * changes of an interpolation, and without the flicker of per-frame palettes) or the fixed
 * 6x7x6 colour cube (fast, data-independent). Pixels take their nearest palette colour; there is
 * no dithering.
 *
 * @example Two 8x8 frames, looping forever
 * ```ts
 * import { encodeGif } from "./gif.ts";
 * const red = { width: 8, height: 8, channels: 3 as const, data: new Uint8Array(192).map((_, i) => i % 3 ? 0 : 255) };
 * const blue = { width: 8, height: 8, channels: 3 as const, data: new Uint8Array(192).map((_, i) => i % 3 === 2 ? 255 : 0) };
 * const gif = encodeGif([red, blue], { delayMs: 200 });
 * console.log(new TextDecoder().decode(gif.subarray(0, 6))); // "GIF89a"
 * ```
 *
 * @module
 */
import type { RasterImage } from "./image.ts";

/** Options of {@linkcode encodeGif}. */
export interface GifOptions {
  /** Time each frame shows, in milliseconds (stored in hundredths of a second). Default 100. */
  delayMs?: number;
  /** Times the animation repeats; 0 (default) loops forever. */
  loop?: number;
  /** `median-cut` (default) of all frames' colours, or the fixed 6x7x6 `cube`. */
  palette?: "median-cut" | "cube";
}

const PALETTE_SIZE = 256;
const MIN_CODE_SIZE = 8; // 256-entry palette

/**
 * Encodes frames of equal size (RGB or RGBA; alpha is ignored) as an animated GIF.
 *
 * @example
 * ```ts
 * import { encodeGif } from "./gif.ts";
 * const frame = { width: 4, height: 4, channels: 4 as const, data: new Uint8Array(64).fill(200) };
 * const gif = encodeGif([frame], { palette: "cube" });
 * console.log(gif[gif.length - 1]); // 59, the trailer ";"
 * ```
 */
export function encodeGif(frames: readonly RasterImage[], options: GifOptions = {}): Uint8Array {
  const { delayMs = 100, loop = 0, palette = "median-cut" } = options;
  if (frames.length === 0) throw new Error("A GIF needs at least one frame");
  const { width, height } = frames[0];
  if (width < 1 || height < 1 || width > 0xffff || height > 0xffff) {
    throw new Error(`GIF frames must be 1 to 65535 px a side, got ${width}x${height}`);
  }
  frames.forEach((f, i) => {
    if (f.width !== width || f.height !== height || f.data.length !== width * height * f.channels) {
      throw new Error(
        `GIF frame ${i} is ${f.width}x${f.height} (${f.data.length} bytes), frame 0 is ${width}x${height}`,
      );
    }
  });
  const { colors, used } = palette === "cube" ? cubePalette() : medianCutPalette(frames);
  const lookup = palette === "cube" ? cubeIndex : nearestIndex(colors, used);

  const out = new ByteWriter();
  out.bytes([..."GIF89a"].map((ch) => ch.charCodeAt(0)));
  // Logical screen: global table present, 8-bit colour resolution, 2^(7+1) entries.
  out.u16(width).u16(height).bytes([0xf7, 0, 0]);
  out.bytes(colors);
  // NETSCAPE2.0 application extension: loop count.
  out.bytes(
    [0x21, 0xff, 0x0b, ..."NETSCAPE2.0"].map((x) => typeof x === "string" ? x.charCodeAt(0) : x),
  );
  out.bytes([0x03, 0x01]).u16(loop).bytes([0x00]);
  const delay = Math.max(0, Math.round(delayMs / 10));
  const indices = new Uint8Array(width * height);
  for (const frame of frames) {
    // Graphic control: no disposal, no transparency, delay.
    out.bytes([0x21, 0xf9, 0x04, 0x00]).u16(delay).bytes([0x00, 0x00]);
    // Image descriptor: full frame, no local table.
    out.bytes([0x2c]).u16(0).u16(0).u16(width).u16(height).bytes([0x00]);
    const c = frame.channels;
    for (let p = 0, q = 0; p < indices.length; p++, q += c) {
      indices[p] = lookup(frame.data[q], frame.data[q + 1], frame.data[q + 2]);
    }
    out.bytes([MIN_CODE_SIZE]);
    const lzw = lzwEncode(indices, MIN_CODE_SIZE);
    for (let i = 0; i < lzw.length; i += 255) {
      const block = lzw.subarray(i, i + 255);
      out.bytes([block.length]).bytes(block);
    }
    out.bytes([0x00]);
  }
  out.bytes([0x3b]);
  return out.result();
}

/** Growable byte buffer with little-endian u16 writes. */
class ByteWriter {
  #buf = new Uint8Array(1 << 16);
  #n = 0;
  bytes(values: ArrayLike<number>): this {
    this.#reserve(values.length);
    this.#buf.set(values, this.#n);
    this.#n += values.length;
    return this;
  }
  u16(v: number): this {
    return this.bytes([v & 0xff, (v >> 8) & 0xff]);
  }
  result(): Uint8Array {
    return this.#buf.slice(0, this.#n);
  }
  #reserve(extra: number): void {
    if (this.#n + extra <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#n + extra));
    next.set(this.#buf.subarray(0, this.#n));
    this.#buf = next;
  }
}

/**
 * Variable-width LZW as GIF wants it (clear code first, codes packed LSB first, a clear when the
 * 4096-entry table is full). Code-width timing follows omggif: the width grows just before the
 * entry that would not fit is added, which is when the decoder, one entry behind, needs it.
 */
function lzwEncode(indices: Uint8Array, minCodeSize: number): Uint8Array {
  const clear = 1 << minCodeSize;
  const eoi = clear + 1;
  const out = new ByteWriter();
  let bits = 0;
  let nbits = 0;
  const emit = (code: number, size: number) => {
    bits |= code << nbits;
    nbits += size;
    while (nbits >= 8) {
      out.bytes([bits & 0xff]);
      bits >>>= 8;
      nbits -= 8;
    }
  };
  let table = new Map<number, number>();
  let next = eoi + 1;
  let size = minCodeSize + 1;
  emit(clear, size);
  let prefix = indices[0];
  for (let i = 1; i < indices.length; i++) {
    const k = indices[i];
    const key = (prefix << 8) | k;
    const code = table.get(key);
    if (code !== undefined) {
      prefix = code;
      continue;
    }
    emit(prefix, size);
    if (next === 4096) {
      emit(clear, size);
      table = new Map();
      next = eoi + 1;
      size = minCodeSize + 1;
    } else {
      if (next >= 1 << size) size++;
      table.set(key, next++);
    }
    prefix = k;
  }
  emit(prefix, size);
  emit(eoi, size);
  if (nbits > 0) out.bytes([bits & 0xff]);
  return out.result();
}

// ---------------------------------------------------------------------------------------------
// Palettes: 256 RGB triples, flat, of which the first `used` are meant.

interface Palette {
  colors: Uint8Array;
  used: number;
}

/** The 6x7x6 cube (252 colours; more green levels, as the eye tells greens apart best). */
function cubePalette(): Palette {
  const colors = new Uint8Array(3 * PALETTE_SIZE);
  let i = 0;
  for (let r = 0; r < 6; r++) {
    for (let g = 0; g < 7; g++) {
      for (let b = 0; b < 6; b++) {
        colors.set([Math.round(r * 51), Math.round(g * 42.5), Math.round(b * 51)], 3 * i++);
      }
    }
  }
  return { colors, used: i };
}

function cubeIndex(r: number, g: number, b: number): number {
  return Math.round(r / 51) * 42 + Math.round(g / 42.5) * 6 + Math.round(b / 51);
}

/** Colours quantized to 5 bits a channel index the histogram: 32768 bins. */
function bin(r: number, g: number, b: number): number {
  return ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3);
}

/**
 * Median cut over the 5-bit histogram of every pixel of every frame: split the box with the most
 * pixels (that can still be split) along its widest channel at the pixel median, until 256 boxes;
 * each box's colour is the mean of its pixels.
 */
function medianCutPalette(frames: readonly RasterImage[]): Palette {
  const count = new Float64Array(32768);
  const sum = new Float64Array(3 * 32768);
  for (const { data, channels } of frames) {
    for (let q = 0; q < data.length; q += channels) {
      const h = bin(data[q], data[q + 1], data[q + 2]);
      count[h]++;
      sum[3 * h] += data[q];
      sum[3 * h + 1] += data[q + 1];
      sum[3 * h + 2] += data[q + 2];
    }
  }
  const occupied: number[] = [];
  for (let h = 0; h < count.length; h++) if (count[h] > 0) occupied.push(h);
  const channel = (h: number, c: number) => (h >> (10 - 5 * c)) & 31;
  type Box = { bins: number[]; pixels: number; widest: number; range: number };
  const makeBox = (bins: number[]): Box => {
    let pixels = 0;
    let widest = 0;
    let range = -1;
    for (const h of bins) pixels += count[h];
    for (let c = 0; c < 3; c++) {
      let lo = 31;
      let hi = 0;
      for (const h of bins) {
        const v = channel(h, c);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (hi - lo > range) [range, widest] = [hi - lo, c];
    }
    return { bins, pixels, widest, range };
  };
  const boxes: Box[] = [makeBox(occupied)];
  while (boxes.length < PALETTE_SIZE) {
    let pick = -1;
    for (let i = 0; i < boxes.length; i++) {
      if (boxes[i].range > 0 && (pick < 0 || boxes[i].pixels > boxes[pick].pixels)) pick = i;
    }
    if (pick < 0) break;
    const { bins, pixels, widest } = boxes[pick];
    bins.sort((a, b) => channel(a, widest) - channel(b, widest));
    let seen = 0;
    let cut = 1;
    for (; cut < bins.length - 1; cut++) {
      seen += count[bins[cut - 1]];
      if (seen >= pixels / 2) break;
    }
    // Never split between equal channel values: move the cut to the next value change.
    while (cut < bins.length && channel(bins[cut], widest) === channel(bins[cut - 1], widest)) {
      cut++;
    }
    if (cut === bins.length) {
      cut = 1;
      while (channel(bins[cut], widest) === channel(bins[0], widest)) cut++;
    }
    boxes.splice(pick, 1, makeBox(bins.slice(0, cut)), makeBox(bins.slice(cut)));
  }
  const colors = new Uint8Array(3 * PALETTE_SIZE);
  boxes.forEach((box, i) => {
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (const h of box.bins) s += sum[3 * h + c];
      colors[3 * i + c] = Math.round(s / Math.max(1, box.pixels));
    }
  });
  return { colors, used: boxes.length };
}

/** Nearest of the first `used` palette entries (squared RGB distance), cached per 5-bit bin. */
function nearestIndex(
  colors: Uint8Array,
  used: number,
): (r: number, g: number, b: number) => number {
  const cache = new Int16Array(32768).fill(-1);
  return (r, g, b) => {
    const h = bin(r, g, b);
    if (cache[h] >= 0) return cache[h];
    // The bin's centre stands for all its colours.
    const [cr, cg, cb] = [(r & ~7) + 4, (g & ~7) + 4, (b & ~7) + 4];
    let best = 0;
    let bestDistance = Infinity;
    for (let i = 0; i < used; i++) {
      const d = (colors[3 * i] - cr) ** 2 + (colors[3 * i + 1] - cg) ** 2 +
        (colors[3 * i + 2] - cb) ** 2;
      if (d < bestDistance) [best, bestDistance] = [i, d];
    }
    cache[h] = best;
    return best;
  };
}
