/**
 * `cli.ts interpolate <checkpoint>`: an animated GIF (and a PNG strip) of a walk between two
 * latents, linear in W or spherical in Z.
 *
 * @example
 * ```sh
 * deno run -A cli.ts interpolate runs/tiny/checkpoint.safetensors --frames 30 --out walk.gif
 * ```
 *
 * @module
 */

import type { Command } from "../../cli.ts";
import { interpolate } from "../generate/interpolate.ts";
import {
  COMMON_HELP,
  numberFlag,
  openGenerator,
  parseCommand,
  runCommand,
  UsageError,
  writeOutput,
} from "./generate.ts";

const HELP = `Usage: deno run -A cli.ts interpolate <checkpoint> [options]

Writes an animated GIF of the images between two latents (forwards then backwards, looping)
and a PNG strip of the same frames beside it (same name, .png). The noise is fixed across
frames, so only the latent moves.

Options:
      --frames F       Frames from start to end, both included (default 30)
      --space S        w: linear in W (default); z: spherical in Z
      --from K         Latent seed of the start (default --seed)
      --to K           Latent seed of the end (default --seed + 1)
      --delay MS       GIF frame time in milliseconds (default 80)
${COMMON_HELP}
      --out FILE       Output GIF (default interpolation.gif)
  -h, --help           Show this help`;

/** `x.gif` -> `x.png` (appends `.png` when the name has no `.gif`). */
export function stripPath(gif: string): string {
  return /\.gif$/i.test(gif) ? gif.replace(/\.gif$/i, ".png") : `${gif}.png`;
}

/** The `interpolate` subcommand. */
export const command: Command = {
  summary: "Write an animated GIF and a PNG strip interpolating between two latents (W or Z)",
  run: (args: string[]) =>
    runCommand("interpolate", HELP, async () => {
      const parsed = parseCommand(args, {
        frames: { type: "string" },
        space: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        delay: { type: "string" },
      });
      if (parsed === "help") return "help";
      const { values, common } = parsed;
      const frames = numberFlag(values, "frames", { integer: true, min: 2 }) ?? 30;
      const space = (values.space as string | undefined) ?? "w";
      if (space !== "w" && space !== "z") {
        throw new UsageError(`--space must be w or z, got "${space}"`);
      }
      const from = numberFlag(values, "from", { integer: true });
      const to = numberFlag(values, "to", { integer: true });
      const delayMs = numberFlag(values, "delay", { min: 0 }) ?? 80;
      const out = (values.out as string | undefined) ?? "interpolation.gif";
      const { generator, step, size } = await openGenerator(common);
      const { images, gif, png } = await interpolate(generator, {
        frames,
        space,
        from,
        to,
        delayMs,
        step,
        seed: common.seed,
        psi: common.psi,
        cutoff: common.cutoff,
        batchSize: common.batchSize,
      });
      images.dispose();
      await writeOutput(out, gif);
      await writeOutput(stripPath(out), png);
      console.log(`wrote ${out} and ${stripPath(out)} (${frames} frames in ${space}, ${size} px)`);
    }),
};
