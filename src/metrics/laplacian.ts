/**
 * Laplacian pyramid of NHWC image batches, as in Progressive GAN's sliced Wasserstein metric
 * (`metrics/sliced_wasserstein.py`): a 5x5 binomial filter [1, 4, 6, 4, 1] / 16 in both
 * directions with mirror borders (OpenCV's `pyrDown` / `pyrUp`).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

const BINOMIAL = [1, 4, 6, 4, 1];

/** The 5x5 filter, scaled, repeated for each of `channels` channels: [5, 5, C, 1]. */
function gaussianFilter(channels: number, scale: number): tf.Tensor4D {
  const values = new Float32Array(25 * channels);
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const v = (BINOMIAL[y] * BINOMIAL[x] * scale) / 256;
      for (let c = 0; c < channels; c++) values[(y * 5 + x) * channels + c] = v;
    }
  }
  return tf.tensor4d(values, [5, 5, channels, 1]);
}

/** Mirror-pads by 2 (scipy's `mode="mirror"`, tf's "reflect") and blurs; `stride` 2 decimates. */
function blur(x: tf.Tensor4D, scale: number, stride: 1 | 2): tf.Tensor4D {
  return tf.tidy(() => {
    const padded = tf.mirrorPad(x, [[0, 0], [2, 2], [2, 2], [0, 0]], "reflect");
    return tf.depthwiseConv2d(padded, gaussianFilter(x.shape[3], scale), stride, "valid");
  });
}

/**
 * Blurs and halves: [N, H, W, C] -> [N, H/2, W/2, C] (the reference's `pyr_down`).
 *
 * @example Halve a batch
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { pyrDown } from "./laplacian.ts";
 * const small = pyrDown(tf.zeros([2, 32, 32, 3]) as tf.Tensor4D); // [2, 16, 16, 3]
 * ```
 */
export function pyrDown(x: tf.Tensor4D): tf.Tensor4D {
  return blur(x, 1, 2);
}

/**
 * Doubles: inserts zeros between pixels, then blurs with the filter times 4 (the reference's
 * `pyr_up`): [N, H, W, C] -> [N, 2H, 2W, C].
 *
 * @example Double a batch
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { pyrUp } from "./laplacian.ts";
 * const big = pyrUp(tf.zeros([2, 16, 16, 3]) as tf.Tensor4D); // [2, 32, 32, 3]
 * ```
 */
export function pyrUp(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => {
    // Zeros after each column, then after each row, with 4-D ops only (a rank-6 pad returns zeros
    // on tfjs 4.22's webgpu backend): [N, H, W, 2C] -> [N, H, 2W, C] -> [N, H, 4W, C]
    // -> [N, 2H, 2W, C].
    const columns = tf.reshape(tf.concat([x, tf.zerosLike(x)], 3), [n, h, 2 * w, c]);
    const rows = tf.concat([columns, tf.zerosLike(columns)], 2);
    return blur(tf.reshape(rows, [n, 2 * h, 2 * w, c]), 4, 1);
  });
}

/**
 * Laplacian pyramid with `numLevels` levels, finest first: level i is `G_i - pyrUp(G_{i+1})` and
 * the last level is the blurred image `G_{numLevels-1}` itself, where `G_0 = x` and
 * `G_{i+1} = pyrDown(G_i)` (the reference's `generate_laplacian_pyramid`).
 *
 * @example Three levels of a 64 px batch
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { laplacianPyramid } from "./laplacian.ts";
 * const levels = laplacianPyramid(tf.zeros([1, 64, 64, 3]) as tf.Tensor4D, 3);
 * // shapes [1, 64, 64, 3], [1, 32, 32, 3], [1, 16, 16, 3]
 * tf.dispose(levels);
 * ```
 */
export function laplacianPyramid(x: tf.Tensor4D, numLevels: number): tf.Tensor4D[] {
  const [, h, w] = x.shape;
  const scale = 2 ** (numLevels - 1);
  if (numLevels < 1 || h % scale !== 0 || w % scale !== 0) {
    throw new Error(
      `laplacianPyramid cannot make ${numLevels} levels from a ${h}x${w} image: the size must divide by ${scale}`,
    );
  }
  return tf.tidy(() => {
    const levels: tf.Tensor4D[] = [tf.cast(x, "float32")];
    for (let i = 1; i < numLevels; i++) {
      const down = pyrDown(levels[i - 1]);
      levels[i - 1] = tf.sub(levels[i - 1], pyrUp(down));
      levels.push(down);
    }
    return levels;
  });
}
