/**
 * `cli.ts figures <checkpoint>`: every generation figure in one folder: samples, style mixing
 * at each level range the model has, W and Z interpolations, noise variation and the truncation
 * sweep.
 *
 * @example
 * ```sh
 * deno run -A cli.ts figures runs/tiny/checkpoint.safetensors --out runs/tiny/figures
 * ```
 *
 * @module
 */

import { join } from "node:path";
import type { Command } from "../../cli.ts";
import { noiseVariation, PAPER_PSIS, truncationSweep } from "../generate/figures.ts";
import { interpolate } from "../generate/interpolate.ts";
import { mixingLevels, styleMixingGrid } from "../generate/mixing.ts";
import { meanStyle, sampleGrid } from "../generate/sample.ts";
import {
  COMMON_HELP,
  numberFlag,
  openGenerator,
  parseCommand,
  runCommand,
  writeOutput,
} from "./generate.ts";

const HELP = `Usage: deno run -A cli.ts figures <checkpoint> [options]

Writes into one folder:
  samples.png                16 random samples
  mix-coarse.png, mix-middle.png, mix-fine.png
                             style mixing (5 sources x 3 targets), for each range the model has
  interpolation-w.gif/.png   30 frames linear in W; interpolation-z.gif/.png spherical in Z
  noise.png                  one latent under 7 noise draws, then the per-pixel standard
                             deviation over --draws draws (paper Figure 4)
  truncation.png             4 latents at psi ${PAPER_PSIS.join(", ")} (paper Figure 8)
The mean style for truncation is estimated once (10 x 1024 latents).

Options:
      --draws D        Noise draws for the standard deviation (default 32)
${COMMON_HELP}
      --out DIR        Output folder (default figures)
  -h, --help           Show this help

--psi and --cutoff apply to the samples, the interpolations and the noise figure (mixing
takes --psi only); the sweep sets its own psi.`;

/** The `figures` subcommand. */
export const command: Command = {
  summary: "Write all generation figures (samples, mixing, interpolation, noise, truncation)",
  run: (args: string[]) =>
    runCommand("figures", HELP, async () => {
      const parsed = parseCommand(args, { draws: { type: "string" } });
      if (parsed === "help") return "help";
      const { values, common } = parsed;
      const draws = numberFlag(values, "draws", { integer: true, min: 2 }) ?? 32;
      const dir = (values.out as string | undefined) ?? "figures";
      const { generator: g, step } = await openGenerator(common);
      const { seed, psi, cutoff, batchSize } = common;
      const mean = meanStyle(g, { seed });
      const base = { seed, step, psi, meanStyle: mean, batchSize };
      const written: string[] = [];
      const save = async (name: string, bytes: Uint8Array) => {
        await writeOutput(join(dir, name), bytes);
        written.push(name);
        console.log(`wrote ${join(dir, name)}`);
      };
      try {
        const samples = await sampleGrid(g, { ...base, cutoff, n: 16 });
        samples.images.dispose();
        await save("samples.png", samples.png);
        for (const range of ["coarse", "middle", "fine"] as const) {
          try {
            mixingLevels(range, step);
          } catch {
            continue; // e.g. no fine levels on a 32 px model
          }
          const mix = await styleMixingGrid(g, { ...base, range, sources: 5, targets: 3 });
          mix.images.dispose();
          await save(`mix-${range}.png`, mix.png);
        }
        for (const space of ["w", "z"] as const) {
          const walk = await interpolate(g, { ...base, cutoff, space, frames: 30 });
          walk.images.dispose();
          await save(`interpolation-${space}.gif`, walk.gif);
          await save(`interpolation-${space}.png`, walk.png);
        }
        const noise = await noiseVariation(g, { ...base, cutoff, draws });
        noise.images.dispose();
        noise.std.dispose();
        await save("noise.png", noise.png);
        const sweep = await truncationSweep(g, { seed, step, meanStyle: mean, cutoff, batchSize });
        sweep.images.dispose();
        await save("truncation.png", sweep.png);
      } finally {
        mean.dispose();
      }
      console.log(`${written.length} files in ${dir}`);
    }),
};
