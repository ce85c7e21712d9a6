/**
 * Lists the images a preparer run takes from an input folder, in dataset order.
 *
 * Two layouts are read:
 * - a plain folder tree of PNG/JPEG files (walked recursively, sorted by path), each image giving
 *   every level;
 * - the Jittor port's layout, one subfolder per resolution (`8/`, `16/`, ...) holding the same
 *   file names: each level comes from the folder of its own size when it has the image, otherwise
 *   from the smallest larger folder that has it (area-downsampled).
 *
 * Hidden files and folders (name starting with `.`) and the output folder are not walked.
 *
 * @module
 */

import { extname, join, resolve } from "node:path";
import type { SkippedFile } from "./format.ts";

/** One file to decode, and the levels (descending halving chain) it produces. */
export interface SourcePart {
  /** Path of the file to read. */
  file: string;
  /** Output sizes made from this file, largest first, each half the previous. */
  sizes: number[];
}

/** One dataset image. */
export interface Source {
  /** Path relative to the input folder, `/`-separated (what `index.json` lists). */
  path: string;
  /** Files that together give every level from max to min size. */
  parts: SourcePart[];
  /** Sizes and modification times of the parts: a change invalidates a resumed run. */
  fingerprint: string;
}

/** The result of listing an input folder. */
export interface SourceList {
  /** Which input layout was recognized. */
  layout: "folder" | "by-resolution";
  /** Images in dataset order. */
  sources: Source[];
  /** Files that are not PNG/JPEG (or, for by-resolution input, missing sizes). */
  skipped: SkippedFile[];
}

/** Options for {@link listSources}. */
export interface ListOptions {
  /** Smallest output size (a power of two). */
  minSize: number;
  /** Largest output size (a power of two). */
  maxSize: number;
  /** A folder not to walk (the output folder when it sits inside the input). */
  exclude?: string;
  /** Take only this many images, evenly spaced over the sorted list. */
  limit?: number;
}

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);

/** Compares by UTF-16 code units: stable across locales, unlike localeCompare. */
function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every non-hidden file under `root`, relative `/`-separated paths, sorted. */
async function walk(root: string, exclude: string | undefined): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string, prefix: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(".")) continue;
      const full = join(dir, entry.name);
      if (exclude !== undefined && resolve(full) === exclude) continue;
      let isDirectory = entry.isDirectory;
      if (entry.isSymlink) {
        // Follow links to files; do not follow linked folders (no cycles). A dangling link is
        // kept, so that reading it fails and it is reported as skipped.
        const target = await Deno.stat(full).catch(() => null);
        if (target?.isDirectory) continue;
        isDirectory = false;
      }
      if (isDirectory) await visit(full, `${prefix}${entry.name}/`);
      else found.push(`${prefix}${entry.name}`);
    }
  };
  await visit(root, "");
  return found.sort(byPath);
}

function isImageName(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}

function evenlySpaced<T>(items: T[], limit: number | undefined): T[] {
  if (limit === undefined || limit >= items.length) return items;
  return Array.from({ length: limit }, (_, i) => items[Math.floor((i * items.length) / limit)]);
}

/** Sizes from `max` down to `min` by halving. */
export function levelSizes(minSize: number, maxSize: number): number[] {
  const sizes: number[] = [];
  for (let s = maxSize; s >= minSize; s /= 2) sizes.push(s);
  return sizes;
}

async function fingerprint(files: string[]): Promise<string> {
  const parts: string[] = [];
  for (const file of files) {
    const info = await Deno.stat(file).catch(() => null);
    parts.push(info ? `${info.size}:${info.mtime?.getTime() ?? 0}` : "missing");
  }
  return parts.join(",");
}

/** The resolution folders of a by-resolution input, or null when `input` is a plain folder. */
async function resolutionFolders(
  input: string,
  exclude: string | undefined,
): Promise<number[] | null> {
  const sizes: number[] = [];
  for await (const entry of Deno.readDir(input)) {
    if (
      entry.name.startsWith(".") ||
      (exclude !== undefined && resolve(join(input, entry.name)) === exclude)
    ) {
      continue;
    }
    if (entry.isDirectory) {
      const size = Number(entry.name);
      if (!/^\d+$/.test(entry.name) || size < 1 || (size & (size - 1)) !== 0) return null;
      sizes.push(size);
    } else if (isImageName(entry.name)) {
      return null;
    }
  }
  return sizes.length > 0 ? sizes.sort((a, b) => a - b) : null;
}

/**
 * Lists the input's images in dataset order, the skipped files, and the layout.
 * Throws when a by-resolution input has no folder as large as `maxSize`.
 */
export async function listSources(input: string, options: ListOptions): Promise<SourceList> {
  const { minSize, maxSize, exclude, limit } = options;
  const folders = await resolutionFolders(input, exclude);
  if (folders === null) {
    const files = await walk(input, exclude);
    const skipped = files.filter((f) => !isImageName(f)).map((path) => ({
      path,
      reason: "not a PNG or JPEG file",
    }));
    const sources: Source[] = [];
    for (const path of evenlySpaced(files.filter(isImageName), limit)) {
      const file = join(input, path);
      sources.push({
        path,
        parts: [{ file, sizes: levelSizes(minSize, maxSize) }],
        fingerprint: await fingerprint([file]),
      });
    }
    return { layout: "folder", sources, skipped };
  }

  const base = folders.find((s) => s >= maxSize);
  if (base === undefined) {
    throw new Error(
      `Input ${input} has resolution folders up to ${
        folders.at(-1)
      } px, below --max-size ${maxSize}`,
    );
  }
  const used = folders.filter((s) => s >= minSize && s <= base);
  const names = new Map<number, Set<string>>();
  for (const size of used) {
    names.set(size, new Set((await walk(join(input, String(size)), exclude)).filter(isImageName)));
  }
  const baseFiles = await walk(join(input, String(base)), exclude);
  const skipped = baseFiles.filter((f) => !isImageName(f)).map((f) => ({
    path: `${base}/${f}`,
    reason: "not a PNG or JPEG file",
  }));
  const sources: Source[] = [];
  for (const name of evenlySpaced(baseFiles.filter(isImageName), limit)) {
    const parts: SourcePart[] = [];
    for (const size of levelSizes(minSize, maxSize)) {
      // The smallest folder at least this large that holds the image (the base always does).
      const folder = used.find((f) => f >= size && names.get(f)!.has(name))!;
      const file = join(input, String(folder), name);
      const last = parts.at(-1);
      if (last && last.file === file) last.sizes.push(size);
      else parts.push({ file, sizes: [size] });
    }
    sources.push({
      path: `${base}/${name}`,
      parts,
      fingerprint: await fingerprint(parts.map((p) => p.file)),
    });
  }
  return { layout: "by-resolution", sources, skipped };
}
