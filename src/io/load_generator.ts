/**
 * Opening any importable checkpoint (ours, the reference's torch files, Jittor files, bare
 * safetensors state dicts) as a ready generator, EMA weights preferred.
 *
 * @example
 * ```ts ignore
 * import { loadGenerator } from "./load_generator.ts";
 * const { generator, source, format } = await loadGenerator("checkpoint/train_step-6.model");
 * console.log(format, source, generator.config.gChannels);
 * ```
 *
 * @module
 */
import { maxResolution, numLevels, type StyleGANConfig } from "../config.ts";
import { StyledGenerator } from "../models/generator.ts";
import { displayPath } from "./files.ts";
import { type CheckpointFormat, importCheckpointFile } from "./import.ts";

/** A generator opened from a file, and where its weights came from. */
export interface LoadedGenerator {
  /** The generator, weights loaded. */
  generator: StyledGenerator;
  /** Its architecture (stored or inferred). */
  config: StyleGANConfig;
  /** The file's format. */
  format: CheckpointFormat;
  /** Which weights: the EMA generator (`gRunning`) when the file has it, else `generator`. */
  source: "gRunning" | "generator";
  /** What the import inferred or adapted. */
  notes: string[];
}

/**
 * Reads a checkpoint file of any supported format and builds its generator from the EMA weights
 * (the reference's `g_running`, what its `generate.py` samples from), or from the trained
 * generator when the file has no EMA copy. Errors name the file.
 *
 * @example
 * ```ts ignore
 * import { loadGenerator } from "./load_generator.ts";
 * const { generator } = await loadGenerator("../shared/parity/g_running-only.model");
 * ```
 */
export async function loadGenerator(path: string | URL): Promise<LoadedGenerator> {
  const ckpt = await importCheckpointFile(path);
  const source = ckpt.gRunning ? "gRunning" : ckpt.generator ? "generator" : undefined;
  if (!source) throw new Error(`File ${displayPath(path)} holds no generator weights`);
  const generator = new StyledGenerator({ config: ckpt.config });
  try {
    generator.loadStateDict(ckpt[source]!);
  } catch (error) {
    for (const v of generator.variables()) v.dispose();
    throw new Error(
      `Cannot load the ${source} weights of ${displayPath(path)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { generator, config: ckpt.config, format: ckpt.format, source, notes: ckpt.notes };
}

/**
 * The step (level) that renders `size` px with `config`; an unsupported size throws, listing the
 * sizes the model renders.
 *
 * @example
 * ```ts
 * import { stepForSize } from "./load_generator.ts";
 * import { PRESETS } from "../config.ts";
 * console.log(stepForSize(PRESETS.tiny, 16)); // 2
 * ```
 */
export function stepForSize(config: StyleGANConfig, size: number): number {
  const sizes = Array.from({ length: numLevels(config) }, (_, i) => 4 * 2 ** i);
  const step = sizes.indexOf(size);
  if (step < 0) {
    throw new Error(
      `Size ${size} is not supported by this ${maxResolution(config)} px model: use one of ${
        sizes.join(", ")
      }`,
    );
  }
  return step;
}
