/**
 * StyleGAN (Karras et al., "A Style-Based Generator Architecture for GANs") for Deno and the
 * browser on TensorFlow.js: numerically identical to rosinality/style-based-gan-pytorch, on the
 * WebGPU, wasm and cpu backends.
 *
 * Layers read in the paper's vocabulary (`EqualLinear`, `StyledConv`, `FusedUpsample`, ...);
 * images are NHWC in [-1, 1]; weights load and save in the reference's `state_dict` naming.
 *
 * @example Generate images from a reference checkpoint
 * ```ts ignore
 * import { initBackend, loadGenerator, sampleGrid } from "jsr:@x/stylegan";
 * await initBackend(); // webgpu on a GPU, else wasm on every core
 * const { generator } = await loadGenerator("train_step-7.model"); // PyTorch, Jittor or ours
 * const { png } = await sampleGrid(generator, { n: 16, seed: 1, psi: 0.7 });
 * await Deno.writeFile("samples.png", png);
 * ```
 *
 * @example Build and train a small model
 * ```ts ignore
 * import * as tf from "@tensorflow/tfjs";
 * import { Dataset, PRESETS, Trainer } from "jsr:@x/stylegan";
 * const data = await Dataset.open("data/emoji", { seed: 0 });
 * const trainer = new Trainer({ config: PRESETS.tiny, options: { batch: 16, maxSize: 32 } });
 * for (let i = 0; i < 1000; i++) {
 *   const stats = await trainer.iterate((size, n) => data.batchTensor(size, n, { flip: true }));
 *   if (i % 100 === 0) console.log(stats.resolution, stats.dLoss, stats.gLoss);
 * }
 * ```
 *
 * @module
 */

// The tfjs types that appear in signatures.
export type {
  NamedTensorMap,
  Scalar,
  Tensor,
  Tensor2D,
  Tensor4D,
  Variable,
} from "@tensorflow/tfjs";

// Configuration and host tensors.
export {
  makeConfig,
  maxResolution,
  numLevels,
  type PresetName,
  PRESETS,
  type StyleGANConfig,
  validateConfig,
} from "./src/config.ts";
export type { AdamState, HostTensor, StateDict } from "./src/types.ts";
export { Rng } from "./src/rng.ts";
export {
  type BackendInfo,
  type BackendName,
  initBackend,
  type InitBackendOptions,
} from "./src/backend.ts";

// Layers, leaf to root.
export { type Layout, Module, type NamedBuffer, type NamedParameter } from "./src/layers/module.ts";
export { Initializer } from "./src/layers/init.ts";
export {
  EqualConv2d,
  type EqualConv2dOptions,
  EqualLinear,
  type EqualLinearOptions,
} from "./src/layers/equalized.ts";
export {
  Blur,
  FusedDownsample,
  type FusedOptions,
  FusedResample,
  FusedUpsample,
} from "./src/layers/resample.ts";
export {
  AdaptiveInstanceNorm,
  ConstantInput,
  NoiseInjection,
  PixelNorm,
  StyledConv,
  type StyledConvOptions,
} from "./src/layers/style.ts";
export { ConvBlock, type ConvBlockOptions, MinibatchStdDev } from "./src/layers/discriminator.ts";
export { conv2d, type Conv2dOptions, dilate } from "./src/ops/conv.ts";
export { avgPool2x, blur3x3, upsample2x } from "./src/ops/resample.ts";
export { leakyRelu } from "./src/ops/activation.ts";

// Models.
export { MappingNetwork } from "./src/models/mapping.ts";
export { StyledGenerator, Synthesis, type SynthesisOptions } from "./src/models/generator.ts";
export { Discriminator, type DiscriminatorOptions } from "./src/models/discriminator.ts";

// Training.
export {
  DEFAULT_TRAINER_OPTIONS,
  type IterationStats,
  type Latents,
  type StepInputs,
  type StepStats,
  Trainer,
  type TrainerOptions,
} from "./src/train/trainer.ts";
export { Adam, type AdamOptions } from "./src/train/adam.ts";
export {
  type Critic,
  type DiscriminatorLoss,
  discriminatorLoss,
  generatorLoss,
  type LossName,
} from "./src/train/losses.ts";
export {
  initialPosition,
  type IterationPlan,
  planIteration,
  REFERENCE_SCHEDULE,
  type ScheduleOptions,
  type SchedulePosition,
} from "./src/train/schedule.ts";
export { accumulateGradients, microBatches } from "./src/train/accumulate.ts";

// Generation and figures.
export {
  type ImageGrid,
  meanStyle,
  type MeanStyleOptions,
  sampleGrid,
  type SampleGridOptions,
  type TruncationOptions,
} from "./src/generate/sample.ts";
export {
  type LevelRange,
  mixingLevels,
  styleMixingGrid,
  type StyleMixingOptions,
} from "./src/generate/mixing.ts";
export {
  interpolate,
  type InterpolateOptions,
  type Interpolation,
  slerp,
} from "./src/generate/interpolate.ts";
export {
  type NoiseVariation,
  noiseVariation,
  type NoiseVariationOptions,
  PAPER_PSIS,
  truncationSweep,
  type TruncationSweepOptions,
} from "./src/generate/figures.ts";

// Files: checkpoints, images, plots.
export {
  encodeSafetensors,
  type NameOptions,
  readSafetensors,
  type Safetensors,
} from "./src/io/safetensors.ts";
export {
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from "./src/io/checkpoint.ts";
export {
  type CheckpointFormat,
  importCheckpoint,
  importCheckpointFile,
  type ImportedCheckpoint,
  inferConfig,
} from "./src/io/import.ts";
export { type LoadedGenerator, loadGenerator } from "./src/io/load_generator.ts";
export {
  encodePng,
  type GridOptions,
  type RasterImage,
  toUint8,
  toUint8Grid,
} from "./src/io/image.ts";
export { encodeGif, type GifOptions } from "./src/io/gif.ts";
export {
  type PlotOptions,
  type PlotPanel,
  type PlotSeries,
  renderPlot,
  type Rgb,
} from "./src/io/plot.ts";

// Data and metrics.
export {
  type Batch,
  type BatchOptions,
  Dataset,
  DATASET_FORMAT,
  type DatasetIndex,
  type EmojiSet,
  fetchEmoji,
  type FetchEmojiOptions,
  prepareDataset,
  type PrepareOptions,
  type PrepareResult,
  type SamplerState,
  type SkippedFile,
} from "./src/data/mod.ts";
export {
  type DescriptorStats,
  swd,
  type SwdBatch,
  SwdDescriptors,
  type SwdDescriptorsOptions,
  swdFromDescriptors,
  type SwdFromDescriptorsOptions,
  type SwdOptions,
  type SwdResult,
  type SwdSource,
} from "./src/metrics/swd.ts";
