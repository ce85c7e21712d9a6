/**
 * `cli.ts mix <checkpoint>`: the style mixing figure (paper Figure 3) as a PNG.
 *
 * @example
 * ```sh
 * deno run -A cli.ts mix runs/tiny/checkpoint.safetensors --sources 5 --targets 3 --range coarse
 * ```
 *
 * @module
 */

import type { Command } from "../../cli.ts";
import { type LevelRange, styleMixingGrid } from "../generate/mixing.ts";
import {
  COMMON_HELP,
  numberFlag,
  openGenerator,
  parseCommand,
  runCommand,
  UsageError,
  writeOutput,
} from "./generate.ts";

const HELP = `Usage: deno run -A cli.ts mix <checkpoint> [options]

Writes the style mixing grid: sources across the top, targets down the side; each cell is
the target with the source's styles at the chosen levels (coarse = 4-8 px, middle = 16-32 px,
fine = 64 px and up, as in the paper's Figure 3). One noise draw is shared by all cells.

Options:
      --sources S      Source images across the top (default 5)
      --targets T      Target images down the side (default 3)
      --range R        coarse (default), middle, fine, or levels LO,HI (4 px is level 0)
${COMMON_HELP}
      --out FILE       Output PNG (default mix-<range>.png)
  -h, --help           Show this help

--cutoff does not apply to mixing.`;

/** Parses `coarse`, `middle`, `fine` or `lo,hi`. */
export function parseRange(text: string): LevelRange {
  if (text === "coarse" || text === "middle" || text === "fine") return text;
  const m = /^(\d+),(\d+)$/.exec(text.trim());
  if (!m || Number(m[1]) > Number(m[2])) {
    throw new UsageError(
      `--range must be coarse, middle, fine or LO,HI with LO <= HI, got "${text}"`,
    );
  }
  return [Number(m[1]), Number(m[2])];
}

/** The `mix` subcommand. */
export const command: Command = {
  summary: "Write the style mixing grid (sources x targets, styles swapped at a level range)",
  run: (args: string[]) =>
    runCommand("mix", HELP, async () => {
      const parsed = parseCommand(args, {
        sources: { type: "string" },
        targets: { type: "string" },
        range: { type: "string" },
      });
      if (parsed === "help") return "help";
      const { values, common } = parsed;
      const sources = numberFlag(values, "sources", { integer: true, min: 1 }) ?? 5;
      const targets = numberFlag(values, "targets", { integer: true, min: 1 }) ?? 3;
      const rangeText = (values.range as string | undefined) ?? "coarse";
      const range = parseRange(rangeText);
      if (common.cutoff !== undefined) throw new UsageError("--cutoff does not apply to mixing");
      const out = (values.out as string | undefined) ??
        `mix-${rangeText.replace(",", "-")}.png`;
      const { generator, step, size } = await openGenerator(common);
      const { images, png } = await styleMixingGrid(generator, {
        sources,
        targets,
        range,
        step,
        seed: common.seed,
        psi: common.psi,
        batchSize: common.batchSize,
      });
      images.dispose();
      await writeOutput(out, png);
      console.log(
        `wrote ${out} (${sources} sources x ${targets} targets, ${rangeText}, ${size} px)`,
      );
    }),
};
