/**
 * File helpers for the io readers and writers (Deno only; the parsers stay pure).
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./files.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.bin`, new Uint8Array([1, 2, 3]));
 * console.log((await Deno.readFile(`${dir}/a.bin`)).length); // 3
 * ```
 *
 * @module
 */

import { basename, dirname, join } from "node:path";

/**
 * Writes `bytes` to `path` so that a crash or kill at any moment leaves either the old file or the
 * new one, never a mix: write a temporary file in the same directory, fsync it, rename it over
 * `path`, then fsync the directory. On failure the temporary file is removed.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./files.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/ckpt.safetensors`, new Uint8Array(8));
 * ```
 */
export async function writeFileAtomic(path: string | URL, bytes: Uint8Array): Promise<void> {
  const target = path instanceof URL ? decodeURIComponent(path.pathname) : path;
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(temp, { write: true, createNew: true });
    for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
    await file.sync();
    file.close();
    file = undefined;
    await Deno.rename(temp, target);
  } catch (error) {
    file?.close();
    await Deno.remove(temp).catch(() => {});
    throw new Error(`Cannot write ${target}: ${(error as Error).message}`, { cause: error });
  }
  await syncDirectory(dir);
}

/** Makes a rename durable; some platforms cannot open directories, which is harmless here. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    using handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch {
    // Not supported (e.g. Windows): the rename itself is still atomic.
  }
}

/**
 * Reads a whole file, with an error that names it when it cannot.
 *
 * @example
 * ```ts
 * import { readFileNamed } from "./files.ts";
 * await readFileNamed("missing.model").catch((e) => console.log(e.message));
 * ```
 */
export async function readFileNamed(path: string | URL): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw new Error(`Cannot read ${displayPath(path)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** A path as shown in messages. */
export function displayPath(path: string | URL): string {
  return path instanceof URL ? decodeURIComponent(path.pathname) : path;
}
