/**
 * `cli.ts dataset emoji --out <dir>`: prepare a built-in real dataset (emoji images from npm).
 *
 * @example
 * ```sh
 * deno run -A cli.ts dataset emoji --set twitter --out data/emoji --max-size 64
 * ```
 *
 * @module
 */

import type { Command } from "../../cli.ts";
import { parseFlags } from "./_flags.ts";
import { EMOJI_PACKAGES, type EmojiSet, fetchEmoji } from "../data/emoji.ts";
import { prepareDataset } from "../data/prepare.ts";
import { positiveInt } from "./prepare.ts";

const HELP = `Usage: deno run -A cli.ts dataset emoji --out <dataset-dir> [options]

Downloads (once, from the npm registry, into ~/.cache/stylegan or $STYLEGAN_CACHE) the
64 px emoji PNGs of the package emoji-datasource-<set> (about 3,800 images) and prepares
them like \`cli.ts prepare\`, on a white background.

Image licences: twitter (Twemoji) CC-BY 4.0; google (Noto) Apache 2.0; apple not licensed
for commercial use; facebook no clear licence.

Options:
      --out <dir>          Dataset folder to write (required)
      --set <name>         twitter (default), google, apple or facebook
      --min-size <px>      Smallest resolution, a power of two (default 8)
      --max-size <px>      Largest resolution, at most 64 (default 64)
      --background <c>     white (default), black or #rrggbb
      --limit <n>          Take only n images, evenly spaced over the set
      --workers <n>        Decoding workers (default: number of cores)
  -q, --quiet              No progress lines
  -h, --help               Show this help`;

/** The `dataset` subcommand. */
export const command: Command = {
  summary: "Download and prepare a built-in dataset (emoji, 64 px)",
  async run(args: string[]): Promise<number> {
    const parsed = parseFlags("dataset", HELP, args, {
      out: { type: "string" },
      set: { type: "string", default: "twitter" },
      "min-size": { type: "string" },
      "max-size": { type: "string", default: "64" },
      background: { type: "string" },
      limit: { type: "string" },
      workers: { type: "string" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
    });
    if (typeof parsed === "number") return parsed;
    const { values, positionals } = parsed;
    if (positionals.length !== 1 || positionals[0] !== "emoji" || !values.out) {
      console.error(`dataset: expected \`emoji --out <dataset-dir>\`\n\n${HELP}`);
      return 2;
    }
    if (!(values.set in EMOJI_PACKAGES)) {
      console.error(
        `dataset: unknown --set "${values.set}" (use ${Object.keys(EMOJI_PACKAGES).join(", ")})`,
      );
      return 2;
    }
    const set = values.set as EmojiSet;
    const log = values.quiet ? undefined : (line: string) => console.error(line);
    try {
      const maxSize = positiveInt(values["max-size"], "max-size")!;
      if (maxSize > 64) throw new Error(`--max-size ${maxSize} is above the emoji images' 64 px`);
      const folder = await fetchEmoji(set, { log });
      log?.(
        `dataset: emoji-datasource-${set}@${EMOJI_PACKAGES[set].version}: ${
          EMOJI_PACKAGES[set].license
        }`,
      );
      const result = await prepareDataset(folder, {
        out: values.out,
        minSize: positiveInt(values["min-size"], "min-size"),
        maxSize,
        background: values.background,
        limit: positiveInt(values.limit, "limit"),
        workers: positiveInt(values.workers, "workers"),
        log,
      });
      return result.complete ? 0 : 1;
    } catch (e) {
      console.error(`dataset: ${(e as Error).message}`);
      return 1;
    }
  },
};
