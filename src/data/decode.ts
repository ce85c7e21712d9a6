/**
 * PNG and JPEG decoding with imagescript's WebAssembly codecs.
 *
 * imagescript's main module loads a native addon at import time (it needs `--allow-ffi`), so this
 * file imports only its two wasm decoders, which need nothing but read access to the package.
 * PNG comes out as 8-bit RGBA for every mode (gray, palette with tRNS, 16-bit, ...); JPEG as gray,
 * RGB or CMYK, which is converted to RGB here (as Pillow does).
 *
 * @example Decode a file
 * ```ts ignore
 * import { decodeImage } from "./decode.ts";
 * const image = await decodeImage(await Deno.readFile("photo.jpg"));
 * console.log(image.width, image.height, image.channels);
 * ```
 *
 * @module
 */

import pngCodec from "imagescript/wasm/node/png.js";
import jpegCodec from "imagescript/wasm/node/jpeg.js";
import type { DecodedImage } from "./resize.ts";

interface PngDecoder {
  decode(bytes: Uint8Array): { width: number; height: number; framebuffer: Uint8Array };
}
interface JpegDecoder {
  decode(bytes: Uint8Array): { width: number; height: number; format: number; buffer: Uint8Array };
}
const png = pngCodec as { init(): Promise<PngDecoder> };
const jpeg = jpegCodec as { init(): Promise<JpegDecoder> };

// Each init() makes a new wasm instance with its own memory. Making one per image costs a fresh
// multi-megabyte wasm memory each time, which serializes parallel workers on the process's
// memory mappings; so one instance per codec is kept, and dropped after a failure (a trapped
// instance may be left inconsistent) or after a large image (so its memory can be freed).
const KEEP_BELOW = 64 * 2 ** 20; // bytes of decoded pixels
let pngDecoder: Promise<PngDecoder> | null = null;
let jpegDecoder: Promise<JpegDecoder> | null = null;

/** The container formats this module reads. */
export type ImageFormat = "png" | "jpeg";

/**
 * Recognizes PNG and JPEG by their magic bytes; `null` for anything else.
 *
 * @example
 * ```ts
 * import { sniffFormat } from "./decode.ts";
 * sniffFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // "jpeg"
 * ```
 */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (
    bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e &&
    bytes[3] === 0x47
  ) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return "jpeg";
  }
  return null;
}

/** A decoding failure; `reason` is the message without the file name. */
export class DecodeError extends Error {
  /** What is wrong with the data, e.g. `not a PNG or JPEG file`. */
  readonly reason: string;
  /** `name` is the file (or label) shown in the message, `reason` what is wrong with it. */
  constructor(name: string, reason: string) {
    super(`Cannot decode ${name}: ${reason}`);
    this.name = "DecodeError";
    this.reason = reason;
  }
}

/**
 * Decodes a PNG or JPEG file's bytes. Throws a {@link DecodeError} naming the problem (not an
 * image, corrupt or truncated data); `name` (e.g. the file path) is put in the message.
 *
 * @example
 * ```ts ignore
 * import { decodeImage } from "./decode.ts";
 * const { width, height, channels, data } = await decodeImage(bytes, "cat.png");
 * ```
 */
export async function decodeImage(bytes: Uint8Array, name = "image"): Promise<DecodedImage> {
  const format = sniffFormat(bytes);
  if (format === null) throw new DecodeError(name, "not a PNG or JPEG file");
  let image: DecodedImage;
  try {
    if (format === "png") {
      pngDecoder ??= png.init();
      image = decodePng(await pngDecoder, bytes);
      if (image.data.length >= KEEP_BELOW) pngDecoder = null;
    } else {
      jpegDecoder ??= jpeg.init();
      image = decodeJpeg(await jpegDecoder, bytes);
      if (image.data.length >= KEEP_BELOW) jpegDecoder = null;
    }
  } catch (error) {
    if (format === "png") pngDecoder = null;
    else jpegDecoder = null;
    const reason = error instanceof Error ? error.message : String(error);
    throw new DecodeError(name, `corrupt or truncated ${format.toUpperCase()} (${reason})`);
  }
  if (
    image.width < 1 || image.height < 1 ||
    image.data.length !== image.width * image.height * image.channels
  ) {
    throw new DecodeError(
      name,
      `decoder returned ${image.width}x${image.height} with ${image.data.length} bytes`,
    );
  }
  return image;
}

function decodePng(decoder: PngDecoder, bytes: Uint8Array): DecodedImage {
  const { width, height, framebuffer } = decoder.decode(bytes);
  return { width, height, channels: 4, data: framebuffer };
}

function decodeJpeg(decoder: JpegDecoder, bytes: Uint8Array): DecodedImage {
  const { width, height, format, buffer } = decoder.decode(bytes);
  const pixels = width * height;
  if (format === 0) return { width, height, channels: 1, data: buffer.subarray(0, pixels) };
  if (format === 1) return { width, height, channels: 3, data: buffer.subarray(0, pixels * 3) };
  if (format === 2) {
    // Plain CMYK (0 = no ink), as Pillow reads it: R = (255 - C) * (255 - K) / 255.
    const rgb = new Uint8Array(pixels * 3);
    for (let i = 0; i < pixels; i++) {
      const white = 255 - buffer[i * 4 + 3];
      for (let c = 0; c < 3; c++) {
        rgb[i * 3 + c] = Math.round(((255 - buffer[i * 4 + c]) * white) / 255);
      }
    }
    return { width, height, channels: 3, data: rgb };
  }
  throw new Error(`unknown JPEG pixel format ${format}`);
}
