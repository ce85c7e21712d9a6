/**
 * The on-disk dataset format: `index.json` plus one packed `<res>.u8` file per resolution.
 *
 * `<res>.u8` holds `count` images of `res x res x 3` bytes (RGB, NHWC row-major); image `i`
 * starts at byte `i * res * res * 3`. `index.json` lists the resolutions, the files, the source
 * paths in dataset order and the files that were skipped. See the README, section "Data sets".
 *
 * @example Read and check a dataset's index
 * ```ts ignore
 * import { readIndex } from "./format.ts";
 * const index = await readIndex("data/emoji");
 * console.log(index.count, index.resolutions);
 * ```
 *
 * @module
 */

import { join } from "node:path";
import type { Rgb } from "./resize.ts";

/** The `format` tag of `index.json`. */
export const DATASET_FORMAT = "stylegan-dataset";
/** The `version` this code writes and reads. */
export const DATASET_VERSION = 1;

/** A file that the preparer did not take, and why. */
export interface SkippedFile {
  /** Path relative to the input folder, `/`-separated. */
  path: string;
  /** Human-readable reason, e.g. `not a PNG or JPEG file`. */
  reason: string;
}

/** The contents of `index.json`. */
export interface DatasetIndex {
  /** Always `"stylegan-dataset"`. */
  format: typeof DATASET_FORMAT;
  /** Format version, 1. */
  version: number;
  /** Number of images (the same in every resolution). */
  count: number;
  /** Powers of two, ascending. */
  resolutions: number[];
  /** Packed file per resolution, relative to the dataset folder, keyed by the resolution. */
  files: Record<string, string>;
  /** Source image of each dataset image, in order, relative to the input folder. */
  sources: string[];
  /** Files that were not taken. */
  skipped: SkippedFile[];
  /** Color composited behind transparent pixels. */
  background: Rgb;
  /** Downsampling filter; `"area"` (box/area averaging). */
  filter: string;
}

/**
 * Bytes of one image at `resolution` (`res * res * 3`).
 *
 * @example
 * ```ts
 * import { imageBytes } from "./format.ts";
 * imageBytes(8); // 192
 * ```
 */
export function imageBytes(resolution: number): number {
  return resolution * resolution * 3;
}

/**
 * Parses `white`, `black` or `#rrggbb` into an RGB triple.
 *
 * @example
 * ```ts
 * import { parseBackground } from "./format.ts";
 * parseBackground("#ff8000"); // [255, 128, 0]
 * ```
 */
export function parseBackground(text: string): Rgb {
  if (text === "white") return [255, 255, 255];
  if (text === "black") return [0, 0, 0];
  const match = /^#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})$/.exec(text);
  if (!match) throw new Error(`Background must be white, black or #rrggbb, got "${text}"`);
  return [parseInt(match[1], 16), parseInt(match[2], 16), parseInt(match[3], 16)];
}

/**
 * Checks the structure of a parsed `index.json`; throws naming `where` and the first problem.
 *
 * @example
 * ```ts
 * import { validateIndex } from "./format.ts";
 * const index = validateIndex({
 *   format: "stylegan-dataset", version: 1, count: 0, resolutions: [8], files: { "8": "8.u8" },
 *   sources: [], skipped: [], background: [255, 255, 255], filter: "area",
 * }, "index.json");
 * ```
 */
export function validateIndex(value: unknown, where: string): DatasetIndex {
  const fail = (problem: string): never => {
    throw new Error(`Dataset index ${where} ${problem}`);
  };
  if (typeof value !== "object" || value === null) return fail("is not a JSON object");
  const index = value as Partial<DatasetIndex>;
  if (index.format !== DATASET_FORMAT) {
    fail(`has format ${JSON.stringify(index.format)}, expected "${DATASET_FORMAT}"`);
  }
  if (index.version !== DATASET_VERSION) {
    fail(`has version ${index.version}, this code reads version ${DATASET_VERSION}`);
  }
  if (!Number.isInteger(index.count) || index.count! < 0) {
    fail(`has an invalid count ${index.count}`);
  }
  const resolutions = index.resolutions;
  if (!Array.isArray(resolutions) || resolutions.length === 0) return fail("lists no resolutions");
  for (const r of resolutions) {
    if (!Number.isInteger(r) || r < 1 || (r & (r - 1)) !== 0) {
      fail(`lists resolution ${r}, not a power of two`);
    }
  }
  if (typeof index.files !== "object" || index.files === null) return fail("has no files table");
  for (const r of resolutions) {
    if (typeof index.files[String(r)] !== "string") fail(`has no file for resolution ${r}`);
  }
  if (!Array.isArray(index.sources) || index.sources.length !== index.count) {
    fail(`lists ${index.sources?.length} sources for ${index.count} images`);
  }
  if (!Array.isArray(index.skipped)) fail("has no skipped list");
  return index as DatasetIndex;
}

/**
 * Reads and validates `<dir>/index.json`, then checks that every packed file has exactly
 * `count * res * res * 3` bytes; errors name the file with expected and actual sizes.
 *
 * @example
 * ```ts ignore
 * import { readIndex } from "./format.ts";
 * const index = await readIndex("data/emoji");
 * ```
 */
export async function readIndex(dir: string): Promise<DatasetIndex> {
  const path = join(dir, "index.json");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Dataset ${dir} has no index.json (prepare it with \`cli.ts prepare\`)`);
    }
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`Dataset index ${path} is not valid JSON (${(error as Error).message})`);
  }
  const index = validateIndex(parsed, path);
  for (const r of index.resolutions) {
    const file = join(dir, index.files[String(r)]);
    const expected = index.count * imageBytes(r);
    let actual: number;
    try {
      actual = (await Deno.stat(file)).size;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Error(`Dataset file ${file} is missing (index.json lists it for ${r} px)`);
      }
      throw error;
    }
    if (actual !== expected) {
      throw new Error(
        `Dataset file ${file} has ${actual} bytes, index.json expects ${expected} ` +
          `(${index.count} images of ${r}x${r}x3)`,
      );
    }
  }
  return index;
}
