/**
 * The preparer's journal in `<out>/.partial/`: a plan (the settings and source files it is valid
 * for), one pixel file + one record per finished chunk, and the final assembly of the dataset.
 *
 * Every file is written under a temporary name and renamed, and a chunk counts only when its
 * record exists and its pixel file has the size the record implies, so a kill at any moment leaves
 * a journal that a re-run can trust or (when its plan does not match) discard whole.
 *
 * @module
 */

import { join } from "node:path";
import {
  DATASET_FORMAT,
  DATASET_VERSION,
  type DatasetIndex,
  imageBytes,
  type SkippedFile,
} from "./format.ts";
import type { Rgb } from "./resize.ts";
import type { Source } from "./_sources.ts";
import type { WorkerResult } from "./_worker.ts";

/** Journal folder name inside the output folder. */
export const JOURNAL = ".partial";

/** What one finished chunk holds: its first source index, the images kept and those skipped. */
export interface ChunkRecord {
  first: number;
  ok: number[];
  skipped: SkippedFile[];
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
}

/** Writes a file under a temporary name and renames it into place. */
async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp`;
  if (typeof data === "string") await Deno.writeTextFile(tmp, data);
  else await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return null;
  }
}

function chunkName(c: number): string {
  return `chunk-${String(c).padStart(6, "0")}`;
}

/**
 * Opens `<out>/.partial` for a run described by `plan` (any JSON value). A journal without the
 * same plan (other settings, changed files, or a kill while it was being deleted) is removed
 * whole: chunks are only ever reused under their own plan. Returns the journal folder.
 */
export async function openJournal(
  out: string,
  plan: unknown,
  log: (line: string) => void,
): Promise<string> {
  const journal = join(out, JOURNAL);
  const existing = await readJson(join(journal, "plan.json"));
  if (existing === null || JSON.stringify(existing) !== JSON.stringify(plan)) {
    if (existing !== null) {
      log(`prepare: discarding the partial run in ${journal} (other settings or changed files)`);
    }
    await Deno.remove(journal, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    await Deno.mkdir(journal, { recursive: true });
    await writeAtomic(join(journal, "plan.json"), JSON.stringify(plan));
  }
  return journal;
}

/** A chunk is done when its record exists and its pixel file has the size the record implies. */
export async function readDoneChunk(
  journal: string,
  c: number,
  bytesPerImage: number,
): Promise<ChunkRecord | null> {
  const record = await readJson(join(journal, `${chunkName(c)}.json`)) as ChunkRecord | null;
  if (record === null || !Array.isArray(record.ok) || !Array.isArray(record.skipped)) return null;
  const size = await Deno.stat(join(journal, `${chunkName(c)}.u8`)).then((s) => s.size, () => -1);
  return size === record.ok.length * bytesPerImage ? record : null;
}

/** Journals one chunk: its pixels (resolution-major: all images at the smallest size first), then its record. */
export async function writeChunk(
  journal: string,
  c: number,
  first: number,
  results: WorkerResult[],
  sources: Source[],
  sizes: number[],
): Promise<ChunkRecord> {
  const record: ChunkRecord = { first, ok: [], skipped: [] };
  const kept: Uint8Array[][] = [];
  results.forEach((result, k) => {
    if ("error" in result) {
      record.skipped.push({ path: sources[first + k].path, reason: result.error });
    } else {
      record.ok.push(first + k);
      kept.push(result.levels);
    }
  });
  const total = kept.reduce((sum, levels) => sum + levels.reduce((s, l) => s + l.length, 0), 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (let level = sizes.length - 1; level >= 0; level--) {
    for (const levels of kept) {
      bytes.set(levels[level], offset);
      offset += levels[level].length;
    }
  }
  await writeAtomic(join(journal, `${chunkName(c)}.u8`), bytes);
  await writeAtomic(join(journal, `${chunkName(c)}.json`), JSON.stringify(record));
  return record;
}

export interface AssembleContext {
  chunkSize: number;
  sources: Source[];
  skipped: SkippedFile[];
  resolutions: number[];
  background: Rgb;
}

/** Concatenates the journaled chunks into `<res>.u8` files, then writes `index.json` last. */
export async function assemble(
  out: string,
  records: ChunkRecord[],
  context: AssembleContext,
): Promise<DatasetIndex> {
  const { resolutions, sources } = context;
  const journal = join(out, JOURNAL);
  // A reader must never pair an old index with new files.
  await Deno.remove(join(out, "index.json")).catch(() => {});
  const files = await Promise.all(
    resolutions.map((r) =>
      Deno.open(join(out, `${r}.u8.tmp`), { write: true, create: true, truncate: true })
    ),
  );
  try {
    for (let c = 0; c < records.length; c++) {
      const bytes = await Deno.readFile(join(journal, `${chunkName(c)}.u8`));
      let offset = 0;
      for (let k = 0; k < resolutions.length; k++) {
        const length = records[c].ok.length * imageBytes(resolutions[k]);
        await writeAll(files[k], bytes.subarray(offset, offset + length));
        offset += length;
      }
    }
  } finally {
    for (const file of files) file.close();
  }
  for (const r of resolutions) await Deno.rename(join(out, `${r}.u8.tmp`), join(out, `${r}.u8`));

  const ok = records.flatMap((r) => r.ok);
  const skipped = [...context.skipped, ...records.flatMap((r) => r.skipped)];
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const index: DatasetIndex = {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    count: ok.length,
    resolutions,
    files: Object.fromEntries(resolutions.map((r) => [String(r), `${r}.u8`])),
    sources: ok.map((i) => sources[i].path),
    skipped,
    background: context.background,
    filter: "area",
  };
  await writeAtomic(join(out, "index.json"), JSON.stringify(index, null, 1) + "\n");
  // Packed files of resolutions an earlier run had and this one does not.
  for await (const entry of Deno.readDir(out)) {
    const match = /^(\d+)\.u8$/.exec(entry.name);
    if (match && !resolutions.includes(Number(match[1]))) await Deno.remove(join(out, entry.name));
  }
  return index;
}
