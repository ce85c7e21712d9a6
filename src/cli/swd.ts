/**
 * `cli.ts swd <images-a> <images-b>`: the multi-scale sliced Wasserstein distance between two
 * image folders (PNG/JPEG) or prepared datasets (`index.json` + `<res>.u8`).
 *
 * @example
 * ```sh
 * deno run -A cli.ts swd data/emoji runs/tiny/samples --size 32 --n 2048
 * ```
 *
 * @module
 */

import { extname, join } from "node:path";
import type { Command } from "../../cli.ts";
import { parseFlags } from "./_flags.ts";
import { type BackendName, initBackend } from "../backend.ts";
import { Dataset } from "../data/dataset.ts";
import { decodeImage } from "../data/decode.ts";
import { parseBackground } from "../data/format.ts";
import { downsampleLevels, type Rgb } from "../data/resize.ts";
import { SwdDescriptors, swdFromDescriptors } from "../metrics/swd.ts";

const HELP = `Usage: deno run -A cli.ts swd <images-a> <images-b> [options]

Multi-scale sliced Wasserstein distance (Progressive GAN, appendix D) between two sets of
images, each a folder of PNG/JPEG files (searched recursively, center-cropped and
area-downsampled) or a prepared dataset (a folder with index.json). <images-a> is the real set:
its statistics normalize both. Prints the distance x1e3 per Laplacian level, then swd=<average>.

Options:
      --size S          Resolution, a power of two >= 16 (default: a dataset's largest, else 64)
      --n N             Images per set, evenly spaced over the set (default: all)
      --seed K          Seed of neighbourhoods and directions (default 0)
      --background C    white, black or #rrggbb behind transparent pixels (default white)
      --normalization M real (default) or each (the reference: each set by its own statistics)
      --backend B       auto, wasm, cpu or webgpu (default auto)
  -h, --help            Show this help`;

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);
const BATCH = 64;

/** One side of the comparison: a prepared dataset or a folder of image files. */
interface ImageSet {
  path: string;
  count: number;
  /** Resolutions a dataset holds; undefined for a folder (any size up to its images'). */
  resolutions?: number[];
  /** Batches of `indices` at `size` px, [n, size, size, 3] uint8. */
  batches(size: number, indices: number[]): AsyncGenerator<{ shape: number[]; data: Uint8Array }>;
  close(): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Image files under `dir`, relative paths sorted by code unit; hidden entries skipped. */
async function listImages(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    if (entry.name.startsWith(".")) continue;
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) found.push(...await listImages(dir, path));
    else if (IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) found.push(path);
  }
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function openSet(path: string, background: Rgb): Promise<ImageSet> {
  if (!(await Deno.stat(path).catch(() => null))?.isDirectory) {
    throw new Error(`Input ${path} is not a folder`);
  }
  if (await exists(join(path, "index.json"))) {
    const dataset = await Dataset.open(path, { prefetch: false });
    return {
      path,
      count: dataset.count,
      resolutions: dataset.resolutions,
      async *batches(size, indices) {
        for (let i = 0; i < indices.length; i += BATCH) {
          const part = indices.slice(i, i + BATCH);
          yield { shape: [part.length, size, size, 3], data: await dataset.images(size, part) };
        }
      },
      close: () => dataset.close(),
    };
  }
  const files = await listImages(path);
  return {
    path,
    count: files.length,
    async *batches(size, indices) {
      for (let i = 0; i < indices.length; i += BATCH) {
        const part = indices.slice(i, i + BATCH);
        const data = new Uint8Array(part.length * size * size * 3);
        for (let k = 0; k < part.length; k++) {
          const file = join(path, files[part[k]]);
          const image = await decodeImage(await Deno.readFile(file), file);
          try {
            data.set(downsampleLevels(image, [size], { background })[0], k * size * size * 3);
          } catch (error) {
            throw new Error(`Cannot use ${file}: ${(error as Error).message}`);
          }
        }
        yield { shape: [part.length, size, size, 3], data };
      }
    },
    close: () => Promise.resolve(),
  };
}

/** `n` indices evenly spaced over `count` (all of them when n >= count). */
function evenlySpaced(count: number, n: number): number[] {
  const take = Math.min(count, n);
  return Array.from({ length: take }, (_, i) => Math.floor((i * count) / take));
}

function chooseSize(sets: ImageSet[], requested: string | undefined): number {
  const datasetMax = sets.filter((s) => s.resolutions).map((s) => Math.max(...s.resolutions!));
  const size = requested !== undefined
    ? Number(requested)
    : datasetMax.length
    ? Math.min(...datasetMax)
    : 64;
  if (!(Number.isInteger(size) && size >= 16 && (size & (size - 1)) === 0)) {
    throw new Error(`--size must be a power of two >= 16, got ${requested}`);
  }
  for (const set of sets) {
    if (set.resolutions && !set.resolutions.includes(size)) {
      throw new Error(
        `Dataset ${set.path} has no ${size} px level (it has ${set.resolutions.join(", ")})`,
      );
    }
  }
  return size;
}

/** The `swd` subcommand. */
export const command: Command = {
  summary: "Sliced Wasserstein distance between two image folders or prepared datasets",
  async run(args: string[]): Promise<number> {
    const parsed = parseFlags("swd", HELP, args, {
      size: { type: "string" },
      n: { type: "string" },
      seed: { type: "string", default: "0" },
      background: { type: "string", default: "white" },
      normalization: { type: "string", default: "real" },
      backend: { type: "string", default: "auto" },
      help: { type: "boolean", short: "h" },
    });
    if (typeof parsed === "number") return parsed;
    const { values, positionals } = parsed;
    if (positionals.length !== 2) {
      console.error(
        `swd: expected <images-a> <images-b>, got ${positionals.length} arguments\n\n${HELP}`,
      );
      return 2;
    }
    const n = values.n === undefined ? Infinity : Number(values.n);
    const seed = Number(values.seed);
    const normalization = values.normalization;
    const backend = values.backend;
    if (
      !(n >= 1) || !Number.isSafeInteger(seed) ||
      (normalization !== "real" && normalization !== "each") ||
      !["auto", "wasm", "cpu", "webgpu"].includes(backend)
    ) {
      console.error(
        `swd: bad option: --n ${values.n}, --seed ${values.seed}, --normalization ${normalization}, --backend ${backend}\n\n${HELP}`,
      );
      return 2;
    }
    const sets: ImageSet[] = [];
    try {
      const info = await initBackend({ backend: backend as "auto" | BackendName });
      console.error(`swd: backend ${info.name} (${info.reason})`);
      const background = parseBackground(values.background);
      for (const path of positionals) sets.push(await openSet(path, background));
      const size = chooseSize(sets, values.size);
      const started = performance.now();
      const descriptors = [];
      for (const [i, set] of sets.entries()) {
        if (set.count === 0) throw new Error(`Input ${set.path} holds no PNG or JPEG images`);
        const acc = new SwdDescriptors({ resolution: size, seed: seed + i });
        for await (const batch of set.batches(size, evenlySpaced(set.count, n))) {
          await acc.add(batch);
        }
        console.error(`swd: ${set.path}: ${acc.count} images at ${size} px`);
        descriptors.push(acc);
      }
      const result = await swdFromDescriptors(descriptors[0], descriptors[1], {
        seed,
        normalization,
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.error(`swd: ${seconds} s`);
      console.log("resolution  swd x1e3");
      for (const level of result.levels) {
        console.log(`${String(level.resolution).padStart(10)}  ${level.swd.toFixed(4)}`);
      }
      console.log(`swd=${result.average.toFixed(4)}`);
      return 0;
    } catch (e) {
      console.error(`swd: ${(e as Error).message}`);
      return 1;
    } finally {
      for (const set of sets) await set.close();
    }
  },
};
