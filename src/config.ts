/**
 * The one typed StyleGAN configuration: widths and resampling per level, defaults and presets.
 *
 * Level `i` works at `4 * 2 ** i` pixels; level 0 is the 4x4 constant input of the generator and
 * the last (minibatch-stddev) block of the discriminator. Everything that builds a model reads
 * this object, and checkpoints carry it so that a file alone rebuilds its model.
 *
 * @module
 */

/** Architecture of a StyleGAN generator + discriminator pair (the reference's knobs, per level). */
export interface StyleGANConfig {
  /** Generator channels per level; index 0 is the 4 px constant input. */
  gChannels: number[];
  /** Generator: upsample with the fused transposed conv (true) or nearest + conv (false), per level. Level 0 is ignored. */
  gFused: boolean[];
  /** Discriminator channels per level; index 0 is the 4 px final block. */
  dChannels: number[];
  /** Discriminator: downsample with the fused strided conv (true) or conv + avg pool (false), per level. Level 0 is ignored. */
  dFused: boolean[];
  /** Width of z and w (the reference's `code_dim`). */
  styleDim: number;
  /** Number of EqualLinear layers in the mapping network (the reference's `n_mlp`). */
  nMlp: number;
  /** Apply LeakyReLU(0.2) after each discriminator `from_rgb` (the reference's default). */
  fromRgbActivate: boolean;
}

/** Names of the built-in presets. */
export type PresetName = "reference" | "small" | "tiny";

const REFERENCE_CHANNELS = [512, 512, 512, 512, 256, 128, 64, 32, 16];

/**
 * Built-in configurations.
 * - `reference`: rosinality's 4..1024 px network (widths 512..16, fused resampling from 128 px up).
 * - `small`: 64 px, 128..32 channels, style width 128, 4 mapping layers: trains on a CPU in hours.
 * - `tiny`: 32 px, 32..16 channels, style width 64, 3 mapping layers (the parity vectors' shape).
 */
export const PRESETS: Readonly<Record<PresetName, StyleGANConfig>> = {
  reference: {
    gChannels: REFERENCE_CHANNELS,
    gFused: REFERENCE_CHANNELS.map((_, i) => i >= 5),
    dChannels: REFERENCE_CHANNELS,
    dFused: REFERENCE_CHANNELS.map((_, i) => i >= 5),
    styleDim: 512,
    nMlp: 8,
    fromRgbActivate: true,
  },
  small: {
    gChannels: [128, 128, 128, 64, 32],
    gFused: [false, false, false, false, false],
    dChannels: [128, 128, 128, 64, 32],
    dFused: [false, false, false, false, false],
    styleDim: 128,
    nMlp: 4,
    fromRgbActivate: true,
  },
  tiny: {
    gChannels: [32, 32, 24, 16],
    gFused: [false, false, true, true],
    dChannels: [32, 32, 24, 16],
    dFused: [false, false, true, true],
    styleDim: 64,
    nMlp: 3,
    fromRgbActivate: true,
  },
};

/**
 * Returns a copy of a preset with some fields overridden, validated.
 *
 * @example Build the reference network cut to 64 px
 * ```ts
 * import { makeConfig } from "./config.ts";
 * const cfg = makeConfig("reference", { levels: 5 });
 * console.log(cfg.gChannels); // [512, 512, 512, 512, 256]
 * ```
 */
export function makeConfig(
  preset: PresetName,
  overrides: Partial<StyleGANConfig> & { levels?: number } = {},
): StyleGANConfig {
  const base = PRESETS[preset];
  if (!base) throw new Error(`Unknown preset "${preset}", expected one of ${Object.keys(PRESETS)}`);
  const { levels, ...rest } = overrides;
  const cfg: StyleGANConfig = structuredClone({ ...base, ...rest });
  if (levels !== undefined) {
    for (const key of ["gChannels", "gFused", "dChannels", "dFused"] as const) {
      (cfg[key] as unknown[]) = cfg[key].slice(0, levels);
    }
  }
  validateConfig(cfg);
  return cfg;
}

/** Number of levels (4 px, 8 px, ...) of a config. */
export function numLevels(cfg: StyleGANConfig): number {
  return cfg.gChannels.length;
}

/** Top resolution in pixels of a config (`4 * 2 ** (levels - 1)`). */
export function maxResolution(cfg: StyleGANConfig): number {
  return 4 * 2 ** (numLevels(cfg) - 1);
}

/**
 * Throws a descriptive error when a config is inconsistent.
 *
 * @example
 * ```ts
 * import { PRESETS, validateConfig } from "./config.ts";
 * validateConfig(PRESETS.tiny);
 * ```
 */
export function validateConfig(cfg: StyleGANConfig): void {
  const n = cfg.gChannels.length;
  if (n < 1) throw new Error("Config needs at least one level (gChannels is empty)");
  for (const key of ["gFused", "dChannels", "dFused"] as const) {
    if (cfg[key].length !== n) {
      throw new Error(`Config ${key} has ${cfg[key].length} levels, gChannels has ${n}`);
    }
  }
  for (const key of ["gChannels", "dChannels"] as const) {
    if (cfg[key].some((c) => !Number.isInteger(c) || c < 1)) {
      throw new Error(`Config ${key} must hold positive integers, got [${cfg[key]}]`);
    }
  }
  if (!Number.isInteger(cfg.styleDim) || cfg.styleDim < 1) {
    throw new Error(`Config styleDim must be a positive integer, got ${cfg.styleDim}`);
  }
  if (!Number.isInteger(cfg.nMlp) || cfg.nMlp < 0) {
    throw new Error(`Config nMlp must be a non-negative integer, got ${cfg.nMlp}`);
  }
}
