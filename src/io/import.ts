/**
 * Importing any checkpoint we know: the reference's `torch.save` files (zip and legacy formats),
 * the Jittor port's `jt.save` files, our own safetensors checkpoints, and bare safetensors state
 * dicts. The architecture is inferred from the tensors' names and shapes.
 *
 * A file is either a training dict (`generator`, `discriminator`, `g_running`, `g_optimizer`,
 * `d_optimizer`, as the reference's `train.py` saves) or a bare generator state dict, which is
 * taken as the EMA generator (`gRunning`), the one the reference's `generate.py` loads.
 *
 * About 350 lines: format detection, assembling the parts, and inferring the config from the
 * reference's key names (which also decides which keys are buffers) belong together.
 *
 * @example
 * ```ts ignore
 * import { importCheckpointFile } from "./import.ts";
 * const ckpt = await importCheckpointFile("checkpoint/train_step-6.model");
 * console.log(ckpt.format, ckpt.config.gChannels, ckpt.notes);
 * ```
 *
 * @module
 */

import type { StyleGANConfig } from "../config.ts";
import type { HostTensor, StateDict } from "../types.ts";
import { type Checkpoint, CHECKPOINT_FORMAT, decodeCheckpoint } from "./checkpoint.ts";
import { displayPath, readFileNamed } from "./files.ts";
import { isJittor, readJittor } from "./jittor.ts";
import { type NameOptions, readSafetensors } from "./safetensors.ts";
import {
  isTorchLegacy,
  isTorchZip,
  readTorchLegacy,
  readTorchZip,
  torchAdamState,
} from "./torch.ts";

/** Where an imported checkpoint came from. */
export type CheckpointFormat =
  | "torch-zip"
  | "torch-legacy"
  | "jittor"
  | "stylegan-safetensors"
  | "safetensors";

/** An imported checkpoint: our {@linkcode Checkpoint} plus where it came from and what was adapted. */
export interface ImportedCheckpoint extends Checkpoint {
  /** The file's format. */
  format: CheckpointFormat;
  /** What the import inferred, dropped or filled in, in sentences. */
  notes: string[];
}

/**
 * Names the format of checkpoint bytes, or `undefined` when none fits.
 *
 * @example
 * ```ts
 * import { detectFormat } from "./import.ts";
 * console.log(detectFormat(new Uint8Array([0x50, 0x4b, 0x03, 0x04]))); // "torch-zip"
 * ```
 */
export function detectFormat(bytes: Uint8Array): CheckpointFormat | undefined {
  if (isTorchZip(bytes)) return "torch-zip";
  if (isTorchLegacy(bytes)) return "torch-legacy";
  if (isJittor(bytes)) return "jittor";
  if (bytes.length >= 10 && bytes[8] === 0x7b) {
    const n = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
    if (n >= BigInt(bytes.length)) return undefined;
    try {
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(n))));
      return header?.__metadata__?.format === CHECKPOINT_FORMAT
        ? "stylegan-safetensors"
        : "safetensors";
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Imports checkpoint bytes of any supported format; `options.name` names the file in errors.
 *
 * @example
 * ```ts ignore
 * import { importCheckpoint } from "./import.ts";
 * const ckpt = await importCheckpoint(bytes, { name: "g_running.model" });
 * ```
 */
export async function importCheckpoint(
  bytes: Uint8Array,
  options: NameOptions = {},
): Promise<ImportedCheckpoint> {
  const name = options.name ?? "checkpoint data";
  const format = detectFormat(bytes);
  if (format === "stylegan-safetensors") {
    return { ...decodeCheckpoint(bytes, { name }), format, notes: [] };
  }
  if (format === "safetensors") {
    return fromObject(
      new Map(Object.entries(readSafetensors(bytes, { name }).tensors)),
      format,
      name,
    );
  }
  if (format === "torch-zip") return fromObject(readTorchZip(bytes, { name }), format, name);
  if (format === "torch-legacy") return fromObject(readTorchLegacy(bytes, { name }), format, name);
  if (format === "jittor") return fromObject(await readJittor(bytes, { name }), format, name);
  throw new Error(
    `File ${name} is not a checkpoint this library reads (torch.save, jt.save or safetensors): unknown magic bytes`,
  );
}

/**
 * Reads and imports a checkpoint file (see {@linkcode importCheckpoint}).
 *
 * @example
 * ```ts ignore
 * import { importCheckpointFile } from "./import.ts";
 * const { gRunning, config } = await importCheckpointFile("g_running.model");
 * ```
 */
export async function importCheckpointFile(path: string | URL): Promise<ImportedCheckpoint> {
  return await importCheckpoint(await readFileNamed(path), { name: displayPath(path) });
}

const TRAINING_KEYS = ["generator", "discriminator", "g_running", "g_optimizer", "d_optimizer"];

function fromObject(value: unknown, format: CheckpointFormat, name: string): ImportedCheckpoint {
  if (!(value instanceof Map)) throw new Error(`File ${name} does not hold a dict`);
  const notes: string[] = [];
  const read = (v: unknown, what: string) => toStateDict(v, { what, name, notes });
  let generator: StateDict | undefined;
  let discriminator: StateDict | undefined;
  let gRunning: StateDict | undefined;
  if (value.get("generator") instanceof Map) {
    generator = read(value.get("generator"), "generator");
    if (value.has("discriminator")) {
      discriminator = read(value.get("discriminator"), "discriminator");
    }
    if (value.has("g_running")) gRunning = read(value.get("g_running"), "g_running");
    const ignored = [...value.keys()].filter((k) => !TRAINING_KEYS.includes(String(k)));
    if (ignored.length) notes.push(`Ignored entries: ${ignored.join(", ")}`);
  } else {
    gRunning = read(value, "state dict");
    notes.push("A bare state dict: imported as the EMA generator (gRunning)");
  }
  let inferred: ReturnType<typeof inferConfig>;
  try {
    inferred = inferConfig((generator ?? gRunning)!, discriminator);
  } catch (e) {
    throw new Error(`Cannot infer the architecture of ${name}: ${(e as Error).message}`);
  }
  notes.push(...inferred.notes);
  const ckpt: ImportedCheckpoint = { format, config: inferred.config, notes };
  if (generator) ckpt.generator = generator;
  if (discriminator) ckpt.discriminator = discriminator;
  if (gRunning) ckpt.gRunning = gRunning;
  for (
    const [key, model, field, label] of [
      ["g_optimizer", generator, "gOptimizer", "G"],
      ["d_optimizer", discriminator, "dOptimizer", "D"],
    ] as const
  ) {
    if (!value.has(key) || !model) continue;
    if (format === "jittor") {
      notes.push(`Ignored ${key}: Jittor optimizer state is not imported`);
      continue;
    }
    const names = parameterNames(model);
    const { adam, missing, steps } = torchAdamState(value.get(key), { names, tensors: model }, {
      name,
    });
    ckpt[field] = adam;
    if (missing.length) {
      notes.push(
        `${label} optimizer: ${missing.length} parameters had no Adam state (no gradient yet) and start from zero moments`,
      );
    }
    if (steps.length > 1) {
      notes.push(`${label} optimizer: per-parameter steps [${steps}] differ, kept ${adam.step}`);
    }
  }
  return ckpt;
}

/** A dict of tensors as a StateDict, without the Jittor port's derived `weight` beside `weight_orig`. */
function toStateDict(
  value: unknown,
  { what, name, notes }: { what: string; name: string; notes: string[] },
): StateDict {
  if (!(value instanceof Map)) throw new Error(`The ${what} of ${name} is not a dict`);
  const sd: StateDict = {};
  let derived = 0;
  for (const [key, t] of value) {
    if (!isHostTensor(t)) {
      throw new Error(`Entry "${key}" of the ${what} of ${name} is not a tensor`);
    }
    if (String(key).endsWith(".weight") && value.has(`${key}_orig`)) {
      derived++;
      continue;
    }
    sd[String(key)] = t;
  }
  if (derived) {
    notes.push(
      `Dropped ${derived} derived "weight" tensors (weight_orig * scale) from the ${what}`,
    );
  }
  return sd;
}

function isHostTensor(x: unknown): x is HostTensor {
  return typeof x === "object" && x !== null && (x as HostTensor).data instanceof Float32Array;
}

/**
 * True for a buffer rather than a parameter: a Blur's `weight` / `weight_flip` (the reference
 * registers them with `register_buffer`; a Blur `weight` is [C, 1, 3, 3] with no bias beside it).
 *
 * @example
 * ```ts
 * import { isBuffer } from "./import.ts";
 * const t = { shape: [8, 1, 3, 3], data: new Float32Array(72) };
 * console.log(isBuffer("generator.progression.1.conv1.2.weight", { "generator.progression.1.conv1.2.weight": t })); // true
 * ```
 */
export function isBuffer(key: string, sd: StateDict): boolean {
  if (key.endsWith(".weight_flip")) return true;
  if (!key.endsWith(".weight")) return false;
  const parent = key.slice(0, -".weight".length);
  if (`${parent}.weight_flip` in sd) return true;
  const s = sd[key].shape;
  return s.length === 4 && s[1] === 1 && s[2] === 3 && s[3] === 3 && !(`${parent}.bias` in sd);
}

/**
 * Parameter names in state dict order (buffers left out): the order torch optimizers number them.
 *
 * @example
 * ```ts
 * import { parameterNames } from "./import.ts";
 * const t = { shape: [1], data: new Float32Array(1) };
 * console.log(parameterNames({ "a.bias": t, "a.weight_orig": t, "b.weight_flip": t })); // ["a.bias", "a.weight_orig"]
 * ```
 */
export function parameterNames(sd: StateDict): string[] {
  return Object.keys(sd).filter((k) => !isBuffer(k, sd));
}

/**
 * Infers the architecture from reference-named state dicts. Without a discriminator the D fields
 * mirror the generator's (and a note says so).
 *
 * @example
 * ```ts ignore
 * import { inferConfig } from "./import.ts";
 * const { config, notes } = inferConfig(ckpt.generator, ckpt.discriminator);
 * ```
 */
export function inferConfig(
  generator: StateDict,
  discriminator?: StateDict,
): { config: StyleGANConfig; notes: string[] } {
  const notes: string[] = [];
  const levels = countLevels(
    generator,
    /^generator\.to_rgb\.(\d+)\.conv\.weight_orig$/,
    "generator to_rgb",
  );
  if (levels === 0) {
    throw new Error("no generator.to_rgb.{i}.conv.weight_orig tensors: not a StyleGAN generator");
  }
  const gChannels: number[] = [];
  const gFused: boolean[] = [];
  for (let i = 0; i < levels; i++) {
    const c = generator[`generator.to_rgb.${i}.conv.weight_orig`].shape[1];
    const conv2 = generator[`generator.progression.${i}.conv2.conv.weight_orig`];
    if (conv2?.shape[0] !== c) {
      throw new Error(`generator level ${i}: conv2 does not output ${c} channels`);
    }
    gChannels.push(c);
    gFused.push(
      i > 0 && generator[`generator.progression.${i}.conv1.0.weight`]?.shape.length === 4,
    );
  }
  // The mapping is Sequential(PixelNorm, [EqualLinear, LeakyReLU] * n_mlp): linears at 1, 3, 5...
  const mapping = Object.keys(generator).filter((k) => /^style\.\d+\.linear\.weight_orig$/.test(k));
  const nMlp = mapping.length;
  const first = mapping[0] ?? "generator.progression.0.adain1.style.linear.weight_orig";
  if (!generator[first]) throw new Error(`no ${first} to read the style width from`);
  const styleDim = generator[first].shape[1];

  if (!discriminator) {
    notes.push("No discriminator in the file: its config fields mirror the generator's");
    const config = {
      gChannels,
      gFused,
      dChannels: [...gChannels],
      dFused: [...gFused],
      styleDim,
      nMlp,
      fromRgbActivate: true,
    };
    return { config, notes };
  }
  const dLevels = countLevels(
    discriminator,
    /^from_rgb\.(\d+)\.(?:0\.)?conv\.weight_orig$/,
    "from_rgb",
  );
  if (dLevels !== levels) {
    throw new Error(`the generator has ${levels} levels, the discriminator ${dLevels}`);
  }
  const fromRgbActivate = "from_rgb.0.0.conv.weight_orig" in discriminator;
  const dChannels = new Array<number>(levels);
  const dFused = new Array<boolean>(levels);
  for (let j = 0; j < levels; j++) {
    const level = levels - 1 - j; // progression j and from_rgb j work at level L-1-j
    const rgb = discriminator[`from_rgb.${j}.${fromRgbActivate ? "0." : ""}conv.weight_orig`];
    if (!rgb) throw new Error(`discriminator from_rgb.${j} has an inconsistent key form`);
    dChannels[level] = rgb.shape[0];
    dFused[level] = level > 0 && `progression.${j}.conv2.1.weight` in discriminator;
    const conv1 = discriminator[`progression.${j}.conv1.0.conv.weight_orig`];
    if (conv1?.shape[1] !== rgb.shape[0] + (level === 0 ? 1 : 0)) {
      throw new Error(
        `discriminator progression.${j}: conv1 does not take from_rgb.${j}'s channels`,
      );
    }
  }
  return {
    config: { gChannels, gFused, dChannels, dFused, styleDim, nMlp, fromRgbActivate },
    notes,
  };
}

/** Number of distinct indices captured by `pattern`, which must run 0..n-1. */
function countLevels(sd: StateDict, pattern: RegExp, what: string): number {
  const found = new Set<number>();
  for (const key of Object.keys(sd)) {
    const m = pattern.exec(key);
    if (m) found.add(Number(m[1]));
  }
  const sorted = [...found].sort((a, b) => a - b);
  if (sorted.some((x, i) => x !== i)) {
    throw new Error(`${what} indices [${sorted}] do not run from 0`);
  }
  return found.size;
}
