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
 * What the fused layers share: an equalized [k, k, in, out] kernel (stored in the reference's
 * layout of each: `weight` and `bias`, fan-in `in * k * k`) that the forward pass blurs into a
 * (k+1) x (k+1) kernel by zero-padding and averaging its 4 shifted copies.
 *
 * @example
 * ```ts
 * import { FusedDownsample, FusedResample } from "./resample.ts";
 * import { Initializer } from "./init.ts";
 * const down: FusedResample = new FusedDownsample({ inChannels: 4, outChannels: 2, kernel: 3, padding: 1, init: new Initializer(0) });
 * console.log(down.weight.shape); // [3, 3, 4, 2]
 * ```
 */
export abstract class FusedResample extends Module {
  /** Raw weight, [k, k, in, out]. */
  readonly weight: tf.Variable;
  /** Bias, [out]. */
  readonly bias: tf.Variable;
  /** He constant sqrt(2 / (in * k * k)). */
  readonly scale: number;
  /** Zero padding of the (transposed) convolution. */
  readonly padding: number;

  /** `layout` says how the reference stores the kernel: OIHW (conv) or IOHW (transposed conv). */
  constructor(options: FusedOptions, layout: "conv" | "convTranspose") {
    super();
    const { inChannels: ci, outChannels: co, kernel: k, padding, init } = options;
    const drawn = layout === "conv"
      ? init.normal([co, ci, k, k], [2, 3, 1, 0])
      : init.normal([ci, co, k, k], [2, 3, 0, 1]);
    this.weight = this.parameter("weight", drawn, layout);
    this.bias = this.parameter("bias", tf.zeros([co]), "plain");
    this.scale = Math.sqrt(2 / (ci * k * k));
    this.padding = padding;
  }

  /** The scaled kernel, padded by one and averaged over its 4 shifts: [k+1, k+1, in, out]. */
  protected blurredWeight(): tf.Tensor4D {
    return tf.tidy(() => {
      const [k, , ci, co] = this.weight.shape;
      const p = tf.pad(tf.mul(this.weight, this.scale) as tf.Tensor4D, [[1, 1], [1, 1], [0, 0], [
        0,
        0,
      ]]);
      const at = (r: number, c: number) => tf.slice(p, [r, c, 0, 0], [k + 1, k + 1, ci, co]);
      return tf.div(tf.add(tf.add(tf.add(at(1, 1), at(0, 1)), at(1, 0)), at(0, 0)), 4);
    });
  }
}

/**
 * 2x upsampling transposed convolution with a blurred kernel (reference `FusedUpsample`, keys
 * `weight` [in, out, k, k] and `bias`).
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
export class FusedUpsample extends FusedResample {
  /** Creates the layer with N(0, 1) weights. */
  constructor(options: FusedOptions) {
    super(options, "convTranspose");
  }

  /** [N, H, W, in] -> [N, 2H, 2W, out]. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const w = this.blurredWeight(); // [K, K, in, out]
      // conv_transpose2d(stride 2) = zero-dilated input, padded by K-1-p, against the flipped kernel.
      const edge = w.shape[0] - 1 - this.padding;
      const spread = tf.pad(dilate(x, 2), [[0, 0], [edge, edge], [edge, edge], [0, 0]]);
      return tf.add(conv2d(spread, flipSpatial(w)), this.bias);
    });
  }
}

/**
 * 2x downsampling strided convolution with a blurred kernel (reference `FusedDownsample`, keys
 * `weight` [out, in, k, k] and `bias`).
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
export class FusedDownsample extends FusedResample {
  /** Creates the layer with N(0, 1) weights. */
  constructor(options: FusedOptions) {
    super(options, "conv");
  }

  /** [N, H, W, in] -> [N, H/2, W/2, out]. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      return tf.add(
        conv2d(x, this.blurredWeight(), { stride: 2, padding: this.padding }),
        this.bias,
      );
    });
  }
}
