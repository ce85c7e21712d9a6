/**
 * Our checkpoint: one safetensors file that rebuilds and resumes a run.
 *
 * Tensors sit under prefixes (reference state dict names, NCHW/OIHW layouts after the prefix):
 * `G/` generator, `D/` discriminator, `Gema/` EMA generator (the reference's `g_running`),
 * `optG/m/`, `optG/v/`, `optD/m/`, `optD/v/` Adam moments. The `__metadata__` map holds
 * `format: "stylegan-checkpoint"`, `formatVersion: "1"`, `config` (JSON {@linkcode StyleGANConfig}),
 * `progress` (JSON, the trainer's), `optG/step`, `optD/step`, and any extra entries as JSON.
 *
 * @example Round trip in memory
 * ```ts
 * import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.ts";
 * import { PRESETS } from "../config.ts";
 * const bytes = encodeCheckpoint({ config: PRESETS.tiny, progress: { step: 10 } });
 * console.log(decodeCheckpoint(bytes).progress); // { step: 10 }
 * ```
 *
 * @module
 */

import { type StyleGANConfig, validateConfig } from "../config.ts";
import type { AdamState, StateDict } from "../types.ts";
import { displayPath, readFileNamed, writeFileAtomic } from "./files.ts";
import { encodeSafetensors, type NameOptions, readSafetensors } from "./safetensors.ts";

/** The `format` metadata value of our checkpoints. */
export const CHECKPOINT_FORMAT = "stylegan-checkpoint";
/** The `formatVersion` this code writes and reads. */
export const CHECKPOINT_VERSION = "1";

/** Everything a checkpoint holds; all but `config` optional. */
export interface Checkpoint {
  /** The architecture: enough to rebuild the models. */
  config: StyleGANConfig;
  /** Generator parameters (`G/`), reference key names. */
  generator?: StateDict;
  /** Discriminator parameters (`D/`). */
  discriminator?: StateDict;
  /** EMA generator (`Gema/`, the reference's `g_running`): the one to sample from. */
  gRunning?: StateDict;
  /** Adam state of the generator (`optG/m/`, `optG/v/`, `optG/step`). */
  gOptimizer?: AdamState;
  /** Adam state of the discriminator (`optD/...`). */
  dOptimizer?: AdamState;
  /** Training progress, opaque here (step, alpha, images seen, phase, rng state...). */
  progress?: Record<string, unknown>;
  /** Other metadata, each stored as a JSON string. */
  extra?: Record<string, unknown>;
}

const STATE_PREFIXES = { generator: "G/", discriminator: "D/", gRunning: "Gema/" } as const;
const OPTIMIZER_PREFIXES = { gOptimizer: "optG", dOptimizer: "optD" } as const;
const RESERVED = new Set([
  "format",
  "formatVersion",
  "config",
  "progress",
  "optG/step",
  "optD/step",
]);

/**
 * Encodes a checkpoint as safetensors bytes (deterministic: same checkpoint, same bytes).
 *
 * @example
 * ```ts
 * import { encodeCheckpoint } from "./checkpoint.ts";
 * import { PRESETS } from "../config.ts";
 * const bytes = encodeCheckpoint({ config: PRESETS.tiny });
 * ```
 */
export function encodeCheckpoint(ckpt: Checkpoint): Uint8Array {
  validateConfig(ckpt.config);
  const tensors: StateDict = {};
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_VERSION,
    config: JSON.stringify(ckpt.config),
  };
  for (const [field, prefix] of Object.entries(STATE_PREFIXES)) {
    const sd = ckpt[field as keyof typeof STATE_PREFIXES];
    for (const [key, t] of Object.entries(sd ?? {})) tensors[prefix + key] = t;
  }
  for (const [field, prefix] of Object.entries(OPTIMIZER_PREFIXES)) {
    const adam = ckpt[field as keyof typeof OPTIMIZER_PREFIXES];
    if (!adam) continue;
    metadata[`${prefix}/step`] = String(adam.step);
    for (const [key, t] of Object.entries(adam.m)) tensors[`${prefix}/m/${key}`] = t;
    for (const [key, t] of Object.entries(adam.v)) tensors[`${prefix}/v/${key}`] = t;
  }
  if (ckpt.progress) metadata.progress = JSON.stringify(ckpt.progress);
  for (const [key, value] of Object.entries(ckpt.extra ?? {})) {
    if (RESERVED.has(key)) {
      throw new Error(`Checkpoint extra metadata cannot use the reserved key "${key}"`);
    }
    metadata[key] = JSON.stringify(value);
  }
  return encodeSafetensors(tensors, metadata);
}

/**
 * Decodes checkpoint bytes; throws when they are not a version-1 stylegan checkpoint.
 *
 * @example
 * ```ts
 * import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.ts";
 * import { PRESETS } from "../config.ts";
 * const ckpt = decodeCheckpoint(encodeCheckpoint({ config: PRESETS.tiny }), { name: "x" });
 * console.log(ckpt.config.styleDim); // 64
 * ```
 */
export function decodeCheckpoint(bytes: Uint8Array, options: NameOptions = {}): Checkpoint {
  const name = options.name ?? "checkpoint data";
  const { tensors, metadata } = readSafetensors(bytes, { name });
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `File ${name} is not a stylegan checkpoint (metadata format is "${metadata.format}")`,
    );
  }
  if (metadata.formatVersion !== CHECKPOINT_VERSION) {
    throw new Error(
      `Checkpoint ${name} has format version "${metadata.formatVersion}", this code reads "1"`,
    );
  }
  const json = (key: string) => {
    try {
      return JSON.parse(metadata[key]);
    } catch {
      throw new Error(`Checkpoint ${name}: metadata "${key}" is not valid JSON`);
    }
  };
  const config = json("config") as StyleGANConfig;
  try {
    validateConfig(config);
  } catch (e) {
    throw new Error(`Checkpoint ${name}: ${(e as Error).message}`);
  }
  const ckpt: Checkpoint = { config };
  const claimed = new Set<string>();
  const take = (prefix: string): StateDict | undefined => {
    const out: StateDict = {};
    for (const [key, t] of Object.entries(tensors)) {
      if (!key.startsWith(prefix)) continue;
      out[key.slice(prefix.length)] = t;
      claimed.add(key);
    }
    return Object.keys(out).length ? out : undefined;
  };
  for (const [field, prefix] of Object.entries(STATE_PREFIXES)) {
    const sd = take(prefix);
    if (sd) ckpt[field as keyof typeof STATE_PREFIXES] = sd;
  }
  for (const [field, prefix] of Object.entries(OPTIMIZER_PREFIXES)) {
    const m = take(`${prefix}/m/`) ?? {};
    const v = take(`${prefix}/v/`) ?? {};
    const step = metadata[`${prefix}/step`];
    if (step === undefined) {
      if (Object.keys(m).length || Object.keys(v).length) {
        throw new Error(`Checkpoint ${name} has ${prefix} moments but no "${prefix}/step"`);
      }
      continue;
    }
    if (!/^\d+$/.test(step)) throw new Error(`Checkpoint ${name}: "${prefix}/step" is "${step}"`);
    ckpt[field as keyof typeof OPTIMIZER_PREFIXES] = { step: Number(step), m, v };
  }
  const stray = Object.keys(tensors).filter((k) => !claimed.has(k));
  if (stray.length) {
    throw new Error(
      `Checkpoint ${name} has tensors outside the known prefixes: ${stray.slice(0, 3)}`,
    );
  }
  if (metadata.progress !== undefined) ckpt.progress = json("progress");
  const extra = Object.keys(metadata).filter((k) => !RESERVED.has(k));
  if (extra.length) ckpt.extra = Object.fromEntries(extra.map((k) => [k, json(k)]));
  return ckpt;
}

/**
 * Saves a checkpoint atomically: a kill at any moment leaves the previous file intact.
 *
 * @example
 * ```ts
 * import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
 * import { PRESETS } from "../config.ts";
 * const path = `${await Deno.makeTempDir()}/run.safetensors`;
 * await saveCheckpoint(path, { config: PRESETS.tiny, progress: { step: 1 } });
 * console.log((await loadCheckpoint(path)).progress); // { step: 1 }
 * ```
 */
export async function saveCheckpoint(path: string | URL, ckpt: Checkpoint): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(ckpt));
}

/**
 * Loads a checkpoint written by {@linkcode saveCheckpoint} (use `importCheckpointFile` for
 * reference or Jittor files).
 *
 * @example
 * ```ts ignore
 * import { loadCheckpoint } from "./checkpoint.ts";
 * const ckpt = await loadCheckpoint("runs/tiny/checkpoint.safetensors");
 * ```
 */
export async function loadCheckpoint(path: string | URL): Promise<Checkpoint> {
  return decodeCheckpoint(await readFileNamed(path), { name: displayPath(path) });
}
