/**
 * Resampling layers of the reference: `Blur`, and the fused up/down-sampling convolutions used at
 * high resolutions (`FusedUpsample` = transposed conv, `FusedDownsample` = strided conv), whose
 * 3x3 kernels are turned into 4x4 ones by averaging the 4 shifted copies (the weight blur).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { conv2d, dilate, flipSpatial } from "../ops/conv.ts";
import { blur3x3 } from "../ops/resample.ts";
import type { Initializer } from "./init.ts";
import { Module } from "./module.ts";

/**
 * The reference's `Blur(channel)`: a fixed per-channel [1, 2, 1] x [1, 2, 1] / 16 filter. Its
 * buffers `weight` and `weight_flip` ([C, 1, 3, 3]) appear in the state dict.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Blur } from "./resample.ts";
 * console.log(new Blur({ channels: 4 }).apply(tf.ones([1, 8, 8, 4])).shape); // [1, 8, 8, 4]
 * ```
 */
export class Blur extends Module {
  /** Creates the filter for `channels` channels. */
  constructor(options: { channels: number }) {
    super();
    const { channels } = options;
    const k = [1, 2, 1, 2, 4, 2, 1, 2, 1].map((v) => v / 16);
    const data = new Float32Array(channels * 9);
    for (let c = 0; c < channels; c++) data.set(k, c * 9);
    // The kernel is symmetric, so its flip is itself.
    this.buffer("weight", { shape: [channels, 1, 3, 3], data });
    this.buffer("weight_flip", { shape: [channels, 1, 3, 3], data: data.slice() });
  }

  /** [N, H, W, C] -> [N, H, W, C]. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return blur3x3(x);
  }
}

/** Options of the fused resampling convolutions. */
export interface FusedOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Kernel size before the weight blur (the reference uses 3). */
  kernel: number;
  /** Zero padding (the reference uses 1). */
  padding: number;
  /** Source of the N(0, 1) initial weights. */
  init: Initializer;
}

/**
 * The reference's weight blur: scale, zero-pad by one, and average the 4 shifted copies,
 * turning a k x k HWIO kernel into a (k+1) x (k+1) one.
 */
function blurWeight(w: tf.Tensor4D, scale: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [k, , ci, co] = w.shape;
    const p = tf.pad(tf.mul(w, scale) as tf.Tensor4D, [[1, 1], [1, 1], [0, 0], [0, 0]]);
    const at = (r: number, c: number) => tf.slice(p, [r, c, 0, 0], [k + 1, k + 1, ci, co]);
    return tf.div(tf.add(tf.add(tf.add(at(1, 1), at(0, 1)), at(1, 0)), at(0, 0)), 4);
  });
}

/**
 * 2x upsampling transposed convolution with a blurred kernel (reference `FusedUpsample`, keys
 * `weight` [in, out, k, k] and `bias`); fan-in is `in * k * k`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { FusedUpsample } from "./resample.ts";
 * import { Initializer } from "./init.ts";
 * const up = new FusedUpsample({ inChannels: 4, outChannels: 2, kernel: 3, padding: 1, init: new Initializer(0) });
 * console.log(up.apply(tf.ones([1, 8, 8, 4])).shape); // [1, 16, 16, 2]
 * ```
 */
export class FusedUpsample extends Module {
  /** Raw weight, [k, k, in, out]. */
  readonly weight: tf.Variable;
  /** Bias, [out]. */
  readonly bias: tf.Variable;
  /** He constant sqrt(2 / (in * k * k)). */
  readonly scale: number;
  /** The transposed convolution's padding. */
  readonly padding: number;

  /** Creates the layer with N(0, 1) weights. */
  constructor(options: FusedOptions) {
    super();
    const { inChannels, outChannels, kernel, padding, init } = options;
    const drawn = init.normal([inChannels, outChannels, kernel, kernel], [2, 3, 0, 1]);
    this.weight = this.parameter("weight", drawn, "convTranspose");
    this.bias = this.parameter("bias", tf.zeros([outChannels]), "plain");
    this.scale = Math.sqrt(2 / (inChannels * kernel * kernel));
    this.padding = padding;
  }

  /** [N, H, W, in] -> [N, 2H, 2W, out]. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const w = blurWeight(this.weight as tf.Tensor4D, this.scale); // [K, K, in, out]
      const k = w.shape[0];
      // conv_transpose2d(stride 2) = zero-dilated input, padded by K-1-p, against the flipped kernel.
      const edge = k - 1 - this.padding;
      const spread = tf.pad(dilate(x, 2), [[0, 0], [edge, edge], [edge, edge], [0, 0]]);
      return tf.add(conv2d(spread, flipSpatial(w)), this.bias);
    });
  }
}

/**
 * 2x downsampling strided convolution with a blurred kernel (reference `FusedDownsample`, keys
 * `weight` [out, in, k, k] and `bias`); fan-in is `in * k * k`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { FusedDownsample } from "./resample.ts";
 * import { Initializer } from "./init.ts";
 * const down = new FusedDownsample({ inChannels: 4, outChannels: 2, kernel: 3, padding: 1, init: new Initializer(0) });
 * console.log(down.apply(tf.ones([1, 8, 8, 4])).shape); // [1, 4, 4, 2]
 * ```
 */
export class FusedDownsample extends Module {
  /** Raw weight, HWIO. */
  readonly weight: tf.Variable;
  /** Bias, [out]. */
  readonly bias: tf.Variable;
  /** He constant sqrt(2 / (in * k * k)). */
  readonly scale: number;
  /** Zero padding on every side. */
  readonly padding: number;

  /** Creates the layer with N(0, 1) weights. */
  constructor(options: FusedOptions) {
    super();
    const { inChannels, outChannels, kernel, padding, init } = options;
    const drawn = init.normal([outChannels, inChannels, kernel, kernel], [2, 3, 1, 0]);
    this.weight = this.parameter("weight", drawn, "conv");
    this.bias = this.parameter("bias", tf.zeros([outChannels]), "plain");
    this.scale = Math.sqrt(2 / (inChannels * kernel * kernel));
    this.padding = padding;
  }

  /** [N, H, W, in] -> [N, H/2, W/2, out]. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const w = blurWeight(this.weight as tf.Tensor4D, this.scale);
      return tf.add(conv2d(x, w, { stride: 2, padding: this.padding }), this.bias);
    });
  }
}
