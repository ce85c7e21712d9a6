/**
 * Resampling ops written in reshapes, broadcasts, slices and sums only, so that
 * they are twice differentiable on every backend (tfjs' resize, avgPool, and depthwise-conv
 * gradients are not).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Nearest-neighbour 2x upsampling (PyTorch `F.interpolate(scale_factor=2, mode="nearest")`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { upsample2x } from "./resample.ts";
 * console.log(upsample2x(tf.ones([1, 4, 4, 3])).shape); // [1, 8, 8, 3]
 * ```
 */
export function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    // A broadcasting multiply (not broadcastTo, whose Tile gradient stops at rank 4).
    const spread = tf.mul(tf.reshape(x, [n, h, 1, w, 1, c]), tf.ones([1, 1, 2, 1, 2, 1]));
    return tf.reshape(spread, [n, 2 * h, 2 * w, c]);
  });
}

/**
 * 2x2 average pooling (PyTorch `F.avg_pool2d(x, 2)`) as a reshape and a mean.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { avgPool2x } from "./resample.ts";
 * console.log(avgPool2x(tf.ones([1, 8, 8, 3])).shape); // [1, 4, 4, 3]
 * ```
 */
export function avgPool2x(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    return tf.mean(tf.reshape(x, [n, h / 2, 2, w / 2, 2, c]), [2, 4]) as tf.Tensor4D;
  });
}

/**
 * The reference's Blur: a per-channel [1, 2, 1] x [1, 2, 1] / 16 filter with zero padding 1, as
 * one depthwise convolution. The filter is symmetric, so the operator is its own adjoint: its
 * gradient is the blur of the output gradient, and every order of differentiation stays a blur
 * (tfjs' depthwise gradients are neither twice differentiable nor present on wasm).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { blur3x3 } from "./resample.ts";
 * console.log(blur3x3(tf.ones([1, 4, 4, 2])).shape); // [1, 4, 4, 2]
 * ```
 */
export function blur3x3(x: tf.Tensor4D): tf.Tensor4D {
  const op = tf.customGrad((xIn) => {
    const input = xIn as tf.Tensor4D;
    const value = tf.tidy(() => tf.depthwiseConv2d(input, blurKernel(input.shape[3]), 1, 1));
    return { value, gradFunc: (dy: tf.Tensor) => blur3x3(dy as tf.Tensor4D) };
  });
  return op(x) as tf.Tensor4D;
}

const BLUR_TAPS = [1, 2, 1, 2, 4, 2, 1, 2, 1].map((v) => v / 16);

/** The blur filter for `channels` channels, [3, 3, C, 1]. */
function blurKernel(channels: number): tf.Tensor4D {
  const data = new Float32Array(9 * channels);
  for (let t = 0; t < 9; t++) data.fill(BLUR_TAPS[t], t * channels, (t + 1) * channels);
  return tf.tensor4d(data, [3, 3, channels, 1]);
}
