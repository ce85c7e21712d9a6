/**
 * `cli.ts prepare <images-dir> --out <dataset-dir>`: pack a folder of images as a dataset.
 *
 * @example
 * ```sh
 * deno run -A cli.ts prepare photos/ --out data/photos --max-size 64
 * ```
 *
 * @module
 */

import type { Command } from "../../cli.ts";
import { parseFlags } from "./_flags.ts";
import { prepareDataset } from "../data/prepare.ts";

const HELP = `Usage: deno run -A cli.ts prepare <images-dir> --out <dataset-dir> [options]

Packs every PNG and JPEG under <images-dir> (recursively, sorted by path) into a dataset that
the trainer reads: each image is center-cropped to a square, transparency is composited over
the background, and area-averaged down to every power-of-two size from --min-size to
--max-size. Other files, corrupt files and images smaller than --max-size are skipped and
listed in index.json. Interrupted runs resume where they stopped when run again.
Also reads a folder with one subfolder per resolution (8/, 16/, ...), as the Jittor port
writes: each size comes from its own subfolder, or is downsampled from a larger one.

Options:
      --out <dir>          Dataset folder to write (required)
      --min-size <px>      Smallest resolution, a power of two (default 8)
      --max-size <px>      Largest resolution, a power of two (default 128)
      --background <c>     Color behind transparent pixels: white, black or #rrggbb
                           (default white)
      --workers <n>        Decoding workers (default: number of cores)
      --limit <n>          Take only n images, evenly spaced over the sorted list
  -q, --quiet              No progress lines
  -h, --help               Show this help`;

/** Parses a positive integer option; throws naming the option. */
export function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${name} must be a positive integer, got "${value}"`);
  }
  return n;
}

/** The `prepare` subcommand. */
export const command: Command = {
  summary: "Pack a folder of PNG/JPEG images into a dataset (resumable, parallel)",
  async run(args: string[]): Promise<number> {
    const parsed = parseFlags("prepare", HELP, args, {
      out: { type: "string" },
      "min-size": { type: "string" },
      "max-size": { type: "string" },
      background: { type: "string" },
      workers: { type: "string" },
      limit: { type: "string" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
    });
    if (typeof parsed === "number") return parsed;
    const { values, positionals } = parsed;
    if (positionals.length !== 1 || !values.out) {
      console.error(`prepare: expected one <images-dir> and --out <dataset-dir>\n\n${HELP}`);
      return 2;
    }
    try {
      const result = await prepareDataset(positionals[0], {
        out: values.out,
        minSize: positiveInt(values["min-size"], "min-size"),
        maxSize: positiveInt(values["max-size"], "max-size"),
        background: values.background,
        workers: positiveInt(values.workers, "workers"),
        limit: positiveInt(values.limit, "limit"),
        log: values.quiet ? undefined : (line) => console.error(line),
      });
      return result.complete ? 0 : 1;
    } catch (e) {
      console.error(`prepare: ${(e as Error).message}`);
      return 1;
    }
  },
};
