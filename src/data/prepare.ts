/**
 * Prepares a folder of images as a packed dataset (`index.json` + `<res>.u8` per resolution).
 *
 * Images are decoded and downsampled in Deno Workers (one per core by default) and gathered in
 * chunks of consecutive images. Each finished chunk is journaled under `<out>/.partial/` (pixels,
 * then a small JSON that marks it done, each written to a temporary name and renamed), so a run
 * killed at any moment resumes where it stopped; the last step concatenates the chunks into the
 * packed files and writes `index.json` last. The output is byte-identical whatever the number of
 * workers, chunking or interruptions.
 *
 * @example Prepare a folder
 * ```ts ignore
 * import { prepareDataset } from "./prepare.ts";
 * const { index } = await prepareDataset("photos/", { out: "data/photos", maxSize: 64, log: console.error });
 * console.log(index?.count);
 * ```
 *
 * @module
 */

import { resolve } from "node:path";
import { type DatasetIndex, imageBytes, parseBackground } from "./format.ts";
import type { Rgb } from "./resize.ts";
import { levelSizes, listSources, type Source } from "./_sources.ts";
import { WorkerPool } from "./_pool.ts";
import type { WorkerResult } from "./_worker.ts";
import { assemble, type ChunkRecord, openJournal, readDoneChunk, writeChunk } from "./_journal.ts";

/** Options for {@link prepareDataset}. */
export interface PrepareOptions {
  /** Output dataset folder (created if needed). */
  out: string;
  /** Smallest resolution, a power of two (default 8). */
  minSize?: number;
  /** Largest resolution, a power of two (default 128). Images whose square crop is smaller are skipped. */
  maxSize?: number;
  /** Color behind transparent pixels: `[r, g, b]`, `"white"` (default), `"black"` or `"#rrggbb"`. */
  background?: Rgb | string;
  /** Number of decoding workers (default: `navigator.hardwareConcurrency`). */
  workers?: number;
  /** Take only this many images, evenly spaced over the sorted list (quick trials, tests). */
  limit?: number;
  /** Images per journal chunk (default: about 32 MiB of pixels, at most 256). */
  chunkSize?: number;
  /** Receives progress lines (about one per `progressEvery` ms), skipped files and a summary. */
  log?: (line: string) => void;
  /** Milliseconds between progress lines (default 1000). */
  progressEvery?: number;
  /**
   * Stop once the journal holds at least this many images, leaving the run unfinished as a kill
   * would (for testing resumption).
   */
  stopAfter?: number;
}

/** What a {@link prepareDataset} run did. */
export interface PrepareResult {
  /** False when `stopAfter` ended the run before assembly. */
  complete: boolean;
  /** The written index (null when not complete). */
  index: DatasetIndex | null;
  /** Images decoded by this run. */
  processed: number;
  /** Images taken from an earlier run's journal. */
  resumed: number;
  /** Wall time in seconds. */
  seconds: number;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
    : s >= 60
    ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
    : `${s}s`;
}

/**
 * Prepares `input` (a folder of PNG/JPEG files, or one subfolder per resolution) into
 * `options.out`. Resumable: re-running after an interruption reuses the finished chunks.
 *
 * @example
 * ```ts ignore
 * import { prepareDataset } from "./prepare.ts";
 * await prepareDataset("tests/fixtures/images", { out: "/tmp/ds", maxSize: 32, background: "black" });
 * ```
 */
export async function prepareDataset(
  input: string,
  options: PrepareOptions,
): Promise<PrepareResult> {
  const started = performance.now();
  const minSize = options.minSize ?? 8;
  const maxSize = options.maxSize ?? 128;
  if (!isPowerOfTwo(minSize) || !isPowerOfTwo(maxSize) || minSize > maxSize) {
    throw new RangeError(
      `Sizes must be powers of two with min <= max, got min ${minSize}, max ${maxSize}`,
    );
  }
  const background = typeof options.background === "string"
    ? parseBackground(options.background)
    : options.background ?? [255, 255, 255];
  const workers = Math.max(1, options.workers ?? navigator.hardwareConcurrency ?? 1);
  const log = options.log ?? (() => {});
  const out = resolve(options.out);
  const stat = await Deno.stat(input).catch(() => null);
  if (stat === null || !stat.isDirectory) throw new Error(`Input ${input} is not a folder`);

  const sizes = levelSizes(minSize, maxSize); // descending, as the workers return levels
  const resolutions = [...sizes].reverse();
  const bytesPerImage = sizes.reduce((sum, s) => sum + imageBytes(s), 0);
  const list = await listSources(input, { minSize, maxSize, exclude: out, limit: options.limit });
  const sources = list.sources;
  const chunkSize = options.chunkSize ??
    Math.max(1, Math.min(256, Math.floor(32 * 2 ** 20 / bytesPerImage)));
  const chunks = Math.ceil(sources.length / chunkSize);
  log(
    `prepare: ${sources.length} images in ${input}` +
      (list.layout === "by-resolution" ? " (one folder per resolution)" : "") +
      `, ${list.skipped.length} other files skipped; sizes ${resolutions.join(", ")}`,
  );

  // The journal is reused only for exactly the same settings and source files.
  await Deno.mkdir(out, { recursive: true });
  const journal = await openJournal(out, {
    version: 1,
    input: resolve(input),
    minSize,
    maxSize,
    background,
    limit: options.limit ?? null,
    chunkSize,
    layout: list.layout,
    sources: sources.map((s) => [s.path, s.fingerprint]),
  }, log);

  const records: (ChunkRecord | null)[] = [];
  for (let c = 0; c < chunks; c++) records.push(await readDoneChunk(journal, c, bytesPerImage));
  const chunkLength = (c: number): number => Math.min(chunkSize, sources.length - c * chunkSize);
  let resumed = 0;
  records.forEach((r, c) => (resumed += r ? chunkLength(c) : 0));
  if (resumed > 0) log(`prepare: resuming, ${resumed} images already done`);

  let pending = records.flatMap((r, c) => (r ? [] : [c]));
  if (options.stopAfter !== undefined) {
    let journaled = resumed;
    pending = pending.filter((c) => {
      const take = journaled < options.stopAfter!;
      if (take) journaled += chunkLength(c);
      return take;
    });
  }

  let processed = 0;
  const total = sources.length;
  const progressStart = performance.now();
  const report = (): void => {
    const elapsed = (performance.now() - progressStart) / 1000;
    const rate = processed / Math.max(elapsed, 1e-9);
    log(
      `prepare: ${resumed + processed}/${total} images, ${rate.toFixed(1)} images/s, ` +
        `ETA ${formatDuration((total - resumed - processed) / rate)}`,
    );
  };
  const timer = options.log && pending.length > 0
    ? setInterval(report, options.progressEvery ?? 1000)
    : undefined;
  const pool = pending.length > 0 ? new WorkerPool(workers) : null;
  try {
    await runChunks(pending, {
      pool: pool!,
      sources,
      chunkSize,
      background,
      onImage: (source, result) => {
        processed++;
        if ("error" in result) log(`prepare: skipped ${source.path}: ${result.error}`);
      },
      onChunk: async (c, results) => {
        records[c] = await writeChunk(journal, c, c * chunkSize, results, sources, sizes);
      },
    });
  } finally {
    if (timer !== undefined) clearInterval(timer);
    pool?.close();
  }
  if (pending.length > 0 && options.log) report();

  if (records.some((r) => r === null)) {
    return {
      complete: false,
      index: null,
      processed,
      resumed,
      seconds: (performance.now() - started) / 1000,
    };
  }
  const index = await assemble(out, records as ChunkRecord[], {
    chunkSize,
    sources,
    skipped: list.skipped,
    resolutions,
    background,
  });
  await Deno.remove(journal, { recursive: true });
  const seconds = (performance.now() - started) / 1000;
  log(
    `prepare: wrote ${index.count} images at ${resolutions.join(", ")} px to ${out} ` +
      `(${index.skipped.length} skipped) in ${seconds.toFixed(1)} s`,
  );
  return { complete: true, index, processed, resumed, seconds };
}

interface RunContext {
  pool: WorkerPool;
  sources: Source[];
  chunkSize: number;
  background: Rgb;
  onImage(source: Source, result: WorkerResult): void;
  onChunk(c: number, results: WorkerResult[]): Promise<void>;
}

/** Feeds the images of `chunks` to the pool in order, keeping it full; writes each chunk when complete. */
async function runChunks(chunks: number[], context: RunContext): Promise<void> {
  const { pool, sources, chunkSize, background } = context;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  let id = 0;
  for (const c of chunks) {
    const first = c * chunkSize;
    const end = Math.min(first + chunkSize, sources.length);
    const results: WorkerResult[] = new Array(end - first);
    let remaining = end - first;
    for (let i = first; i < end && failure === null; i++) {
      while (inFlight.size >= pool.capacity) await Promise.race(inFlight);
      const source = sources[i];
      const task = pool.run({ id: id++, path: source.path, parts: source.parts, background })
        .then(async (result) => {
          context.onImage(source, result);
          results[i - first] = result;
          if (--remaining === 0) await context.onChunk(c, results);
        })
        .catch((error) => {
          failure ??= error;
        });
      inFlight.add(task);
      task.finally(() => inFlight.delete(task));
    }
    if (failure !== null) break;
  }
  await Promise.all(inFlight);
  if (failure !== null) throw failure;
}
