/**
 * `cli.ts info <checkpoint>`: what a checkpoint file holds (any importable format).
 *
 * @example
 * ```sh
 * deno run -A cli.ts info runs/tiny/checkpoint.safetensors
 * ```
 *
 * @module
 */

import type { Command } from "../../cli.ts";
import { parseFlags } from "./_flags.ts";
import { maxResolution, numLevels, type StyleGANConfig } from "../config.ts";
import { importCheckpointFile, type ImportedCheckpoint, parameterNames } from "../io/import.ts";
import type { StateDict } from "../types.ts";

const HELP = `Usage: deno run -A cli.ts info <checkpoint> [--json]

Prints a checkpoint's format, resolution, config, parameter counts, optimizer state and
training progress. Reads stylegan checkpoints, reference torch.save files and Jittor files.

Options:
      --json   Print one JSON object instead of text
  -h, --help   Show this help`;

/** Summary of a checkpoint, as `info --json` prints it. */
export interface CheckpointInfo {
  /** Where the file came from (see `CheckpointFormat`). */
  format: string;
  /** Top resolution in pixels. */
  resolution: number;
  /** Number of levels (4 px, 8 px, ...). */
  levels: number;
  /** The architecture, as stored or inferred. */
  config: StyleGANConfig;
  /** Trainable parameter counts (buffers excluded) of G (the EMA one when present) and D. */
  parameters: { generator?: number; discriminator?: number };
  /** Which models the file holds. */
  contains: string[];
  /** Adam steps of the optimizer states present. */
  optimizer: { g?: { step: number }; d?: { step: number } };
  /** The trainer's progress record, for our checkpoints. */
  progress?: Record<string, unknown>;
  /** What the import inferred or adapted. */
  notes: string[];
}

function countParameters(sd: StateDict | undefined): number | undefined {
  if (!sd) return undefined;
  return parameterNames(sd).reduce((n, k) => n + sd[k].data.length, 0);
}

/**
 * Summarizes an imported checkpoint.
 *
 * @example
 * ```ts ignore
 * import { describeCheckpoint } from "./info.ts";
 * console.log(describeCheckpoint(await importCheckpointFile("x.model")).parameters);
 * ```
 */
export function describeCheckpoint(ckpt: ImportedCheckpoint): CheckpointInfo {
  const info: CheckpointInfo = {
    format: ckpt.format,
    resolution: maxResolution(ckpt.config),
    levels: numLevels(ckpt.config),
    config: ckpt.config,
    parameters: {
      generator: countParameters(ckpt.gRunning ?? ckpt.generator),
      discriminator: countParameters(ckpt.discriminator),
    },
    contains: [
      ckpt.generator && "generator",
      ckpt.discriminator && "discriminator",
      ckpt.gRunning && "g_running (EMA)",
    ].filter((x): x is string => !!x),
    optimizer: {},
    notes: ckpt.notes,
  };
  if (ckpt.gOptimizer) info.optimizer.g = { step: ckpt.gOptimizer.step };
  if (ckpt.dOptimizer) info.optimizer.d = { step: ckpt.dOptimizer.step };
  if (ckpt.progress) info.progress = ckpt.progress;
  return info;
}

function format(path: string, info: CheckpointInfo): string {
  const c = info.config;
  const optimizer = [
    info.optimizer.g && `G step ${info.optimizer.g.step}`,
    info.optimizer.d && `D step ${info.optimizer.d.step}`,
  ].filter(Boolean).join(", ");
  const lines = [
    `file:          ${path}`,
    `format:        ${info.format}`,
    `resolution:    ${info.resolution} px (${info.levels} levels)`,
    `contains:      ${info.contains.join(", ")}`,
    `G channels:    [${c.gChannels}] fused [${c.gFused.map(Number)}]`,
    `D channels:    [${c.dChannels}] fused [${c.dFused.map(Number)}]`,
    `style:         dim ${c.styleDim}, ${c.nMlp} mapping layers; from_rgb activation ${c.fromRgbActivate}`,
    `G parameters:  ${info.parameters.generator?.toLocaleString("en-US") ?? "-"}`,
    `D parameters:  ${info.parameters.discriminator?.toLocaleString("en-US") ?? "-"}`,
    `optimizer:     ${optimizer || "none"}`,
  ];
  if (info.progress) lines.push(`progress:      ${JSON.stringify(info.progress)}`);
  for (const note of info.notes) lines.push(`note:          ${note}`);
  return lines.join("\n");
}

/** The `info` subcommand. */
export const command: Command = {
  summary: "Show what a checkpoint holds (format, resolution, config, parameters, progress)",
  async run(args: string[]): Promise<number> {
    const parsed = parseFlags("info", HELP, args, {
      help: { type: "boolean", short: "h" },
      json: { type: "boolean" },
    });
    if (typeof parsed === "number") return parsed;
    if (parsed.positionals.length !== 1) {
      console.error(
        `info: expected one <checkpoint>, got ${parsed.positionals.length} arguments\n\n${HELP}`,
      );
      return 2;
    }
    const [path] = parsed.positionals;
    try {
      const info = describeCheckpoint(await importCheckpointFile(path));
      console.log(
        parsed.values.json ? JSON.stringify({ file: path, ...info }, null, 2) : format(path, info),
      );
      return 0;
    } catch (e) {
      console.error(`info: ${(e as Error).message}`);
      return 1;
    }
  },
};
