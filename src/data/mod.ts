/**
 * Datasets: preparing folders of images, the packed format, and the batch loader.
 *
 * @example Prepare the built-in emoji set and draw a batch
 * ```ts ignore
 * import { Dataset, fetchEmoji, prepareDataset } from "./mod.ts";
 * await prepareDataset(await fetchEmoji("twitter"), { out: "data/emoji", maxSize: 64 });
 * const data = await Dataset.open("data/emoji", { seed: 1 });
 * const batch = await data.batch(32, 16, { flip: true }); // Float32Array, shape [16, 32, 32, 3]
 * ```
 *
 * @module
 */

export {
  type Batch,
  type BatchOptions,
  Dataset,
  type OpenOptions,
  type SamplerState,
} from "./dataset.ts";
export { prepareDataset, type PrepareOptions, type PrepareResult } from "./prepare.ts";
export {
  DATASET_FORMAT,
  DATASET_VERSION,
  type DatasetIndex,
  imageBytes,
  parseBackground,
  readIndex,
  type SkippedFile,
  validateIndex,
} from "./format.ts";
export {
  cacheDir,
  EMOJI_PACKAGES,
  type EmojiSet,
  fetchEmoji,
  type FetchEmojiOptions,
} from "./emoji.ts";
export { DecodeError, decodeImage, type ImageFormat, sniffFormat } from "./decode.ts";
export {
  centerCrop,
  cropResizeArea,
  type DecodedImage,
  downsampleLevels,
  halve,
  type ResizeOptions,
  type Rgb,
  toBytes,
} from "./resize.ts";
