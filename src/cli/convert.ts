/**
 * `cli.ts convert <in> <out.safetensors>`: any importable checkpoint (reference torch.save zip or
 * legacy, Jittor jt.save, ours) -> our safetensors checkpoint, with the architecture inferred.
 *
 * @example
 * ```sh
 * deno run -A cli.ts convert checkpoint/train_step-6.model runs/imported.safetensors
 * ```
 *
 * @module
 */

import type { Command } from "../../cli.ts";
import { parseFlags } from "./_flags.ts";
import { maxResolution } from "../config.ts";
import { encodeCheckpoint } from "../io/checkpoint.ts";
import { writeFileAtomic } from "../io/files.ts";
import { importCheckpointFile } from "../io/import.ts";

const HELP = `Usage: deno run -A cli.ts convert <in> <out.safetensors>

Converts a checkpoint to the stylegan safetensors format (G/, D/, Gema/, Adam state, config).
<in> may be a reference torch.save file (zip or legacy format, a training dict or a bare
state dict), a Jittor port jt.save file, or a stylegan checkpoint.

Options:
      --generator-only <which>  Keep only a generator, for sharing a model to sample from:
                                ema (the EMA generator, else G) or g (the trained G, else EMA)
  -h, --help                    Show this help`;

/** The `convert` subcommand. */
export const command: Command = {
  summary: "Convert a reference, Jittor or stylegan checkpoint to a stylegan .safetensors file",
  async run(args: string[]): Promise<number> {
    const parsed = parseFlags("convert", HELP, args, {
      help: { type: "boolean", short: "h" },
      "generator-only": { type: "string" },
    });
    if (typeof parsed === "number") return parsed;
    const [input, output] = parsed.positionals;
    if (parsed.positionals.length !== 2) {
      console.error(
        `convert: expected <in> and <out.safetensors>, got ${parsed.positionals.length} arguments\n\n${HELP}`,
      );
      return 2;
    }
    const only = parsed.values["generator-only"];
    if (only !== undefined && only !== "ema" && only !== "g") {
      console.error(`convert: --generator-only must be ema or g, got "${only}"\n\n${HELP}`);
      return 2;
    }
    try {
      const ckpt = await importCheckpointFile(input);
      const { format: _format, notes, ...all } = ckpt;
      const picked = only === "ema"
        ? ckpt.gRunning ?? ckpt.generator
        : ckpt.generator ?? ckpt.gRunning;
      if (only && !picked) throw new Error(`${input} holds no generator weights`);
      const content = only ? { config: ckpt.config, gRunning: picked } : all;
      const bytes = encodeCheckpoint(content);
      await writeFileAtomic(output, bytes);
      const parts = only ? [`${only === "ema" ? "EMA" : "trained"} generator as Gema`] : [
        ckpt.generator && "G",
        ckpt.discriminator && "D",
        ckpt.gRunning && "Gema",
        ckpt.gOptimizer && "optG",
        ckpt.dOptimizer && "optD",
      ].filter(Boolean);
      console.log(
        `${input} (${ckpt.format}, ${maxResolution(ckpt.config)} px) -> ${output}: ${
          parts.join(", ")
        }, ${bytes.length} bytes`,
      );
      for (const note of notes) console.log(`  note: ${note}`);
      return 0;
    } catch (e) {
      console.error(`convert: ${(e as Error).message}`);
      return 1;
    }
  },
};
