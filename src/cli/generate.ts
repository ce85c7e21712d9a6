/**
 * `cli.ts generate <checkpoint>`: a PNG grid of random samples from any checkpoint that loads.
 * Also the helpers the other generation commands (`mix`, `interpolate`, `figures`) share.
 *
 * @example
 * ```sh
 * deno run -A cli.ts generate runs/tiny/checkpoint.safetensors --n 16 --psi 0.7 --out samples.png
 * ```
 *
 * @module
 */

import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Command } from "../../cli.ts";
import { type BackendName, initBackend } from "../backend.ts";
import { sampleGrid } from "../generate/sample.ts";
import { writeFileAtomic } from "../io/files.ts";
import { type LoadedGenerator, loadGenerator, stepForSize } from "../io/load_generator.ts";

/** The options every generation command takes, as help lines. */
export const COMMON_HELP = `      --seed K         Seed of latents and noise (default 0)
      --psi P          Truncation psi: 1 = none (default), 0.7 as the reference, 0 = mean image
      --cutoff L       Truncate only the levels below L (4 px is level 0; default all)
      --size S         Render at S px, a level of the model (default its top resolution)
      --batch B        Images per generator call (default 8)
      --backend B      auto, wasm, cpu or webgpu (default auto)`;

const HELP = `Usage: deno run -A cli.ts generate <checkpoint> [options]

Writes a PNG grid of random samples. <checkpoint> is any file the library imports: our
checkpoints, the reference's torch.save files (zip or legacy), Jittor files, or a bare
generator state dict. The EMA generator (g_running) is used when the file has one.

Options:
      --n N            Number of images (default 16)
      --cols C         Grid columns (default ceil(sqrt(n)))
${COMMON_HELP}
      --out FILE       Output PNG (default samples.png)
  -h, --help           Show this help`;

/** Option definitions of {@linkcode COMMON_HELP}, for `parseArgs`. */
export const COMMON_FLAGS = {
  seed: { type: "string" },
  psi: { type: "string" },
  cutoff: { type: "string" },
  size: { type: "string" },
  batch: { type: "string" },
  backend: { type: "string" },
  out: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

/** A command-line mistake: exit code 2, with the help text. */
export class UsageError extends Error {}

/**
 * Reads a numeric flag: undefined when absent, else a finite number (an integer with
 * `integer`), at least `min`; otherwise a {@linkcode UsageError} naming the flag.
 */
export function numberFlag(
  values: Record<string, unknown>,
  name: string,
  options: { integer?: boolean; min?: number } = {},
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const x = Number(raw);
  const { integer = false, min = -Infinity } = options;
  if (
    String(raw).trim() === "" || !Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < min
  ) {
    const what = integer ? "an integer" : "a number";
    throw new UsageError(
      `--${name} must be ${what}${min > -Infinity ? ` >= ${min}` : ""}, got "${raw}"`,
    );
  }
  return x;
}

/** Parsed common flags. */
export interface CommonArgs {
  checkpoint: string;
  seed: number;
  psi: number;
  cutoff?: number;
  size?: number;
  batchSize: number;
  backend: "auto" | BackendName;
}

/** Parses the flags of a generation command: one positional <checkpoint> and `options`. */
export function parseCommand<O extends ParseArgsConfig["options"]>(
  args: string[],
  options: O,
): { values: Record<string, unknown>; common: CommonArgs } | "help" {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...COMMON_FLAGS, ...options }, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help) return "help";
  if (parsed.positionals.length !== 1) {
    throw new UsageError(`Expected one <checkpoint>, got ${parsed.positionals.length} arguments`);
  }
  const backend = (values.backend ?? "auto") as string;
  if (!["auto", "wasm", "cpu", "webgpu"].includes(backend)) {
    throw new UsageError(`--backend must be auto, wasm, cpu or webgpu, got "${backend}"`);
  }
  return {
    values,
    common: {
      checkpoint: parsed.positionals[0],
      seed: numberFlag(values, "seed", { integer: true }) ?? 0,
      psi: numberFlag(values, "psi") ?? 1,
      cutoff: numberFlag(values, "cutoff", { integer: true, min: 0 }),
      size: numberFlag(values, "size", { integer: true, min: 1 }),
      batchSize: numberFlag(values, "batch", { integer: true, min: 1 }) ?? 8,
      backend: backend as CommonArgs["backend"],
    },
  };
}

/** Starts the backend and opens the checkpoint; returns the generator and the step to render. */
export async function openGenerator(
  common: CommonArgs,
): Promise<LoadedGenerator & { step: number; size: number }> {
  const backend = await initBackend({ backend: common.backend });
  console.error(`backend: ${backend.name} (${backend.reason})`);
  const loaded = await loadGenerator(common.checkpoint);
  let step: number;
  try {
    step = common.size === undefined
      ? loaded.config.gChannels.length - 1
      : stepForSize(loaded.config, common.size);
  } catch (error) {
    throw new Error(`${common.checkpoint}: ${(error as Error).message}`);
  }
  console.error(
    `${common.checkpoint}: ${loaded.format}, ${loaded.source} weights, rendering ${
      4 * 2 ** step
    } px`,
  );
  return { ...loaded, step, size: 4 * 2 ** step };
}

/** Writes bytes to `path`, creating its folder. */
export async function writeOutput(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, bytes);
}

/**
 * Runs a generation command body with the shared exit codes: 0 done, 1 failed (the message names
 * the file), 2 usage error (with the help text).
 */
export async function runCommand(
  name: string,
  help: string,
  body: () => Promise<void | "help">,
): Promise<number> {
  try {
    if (await body() === "help") console.log(help);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${name}: ${error.message}\n\n${help}`);
      return 2;
    }
    console.error(`${name}: ${(error as Error).message}`);
    return 1;
  }
}

/** The `generate` subcommand. */
export const command: Command = {
  summary: "Write a PNG grid of random samples from a checkpoint (truncation optional)",
  run: (args: string[]) =>
    runCommand("generate", HELP, async () => {
      const parsed = parseCommand(args, { n: { type: "string" }, cols: { type: "string" } });
      if (parsed === "help") return "help";
      const { values, common } = parsed;
      const n = numberFlag(values, "n", { integer: true, min: 1 }) ?? 16;
      const cols = numberFlag(values, "cols", { integer: true, min: 1 });
      const out = (values.out as string | undefined) ?? "samples.png";
      const { generator, step, size } = await openGenerator(common);
      const { images, png } = await sampleGrid(generator, {
        n,
        cols,
        step,
        seed: common.seed,
        psi: common.psi,
        cutoff: common.cutoff,
        batchSize: common.batchSize,
      });
      images.dispose();
      await writeOutput(out, png);
      console.log(`wrote ${out} (${n} images, ${size} px, seed ${common.seed}, psi ${common.psi})`);
    }),
};
