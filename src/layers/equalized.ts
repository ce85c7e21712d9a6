/**
 * Equalized learning rate (Karras et al. 2018, section 4.1 of Progressive GAN): weights are
 * stored as N(0, 1) draws (`weight_orig`) and scaled by He's constant `sqrt(2 / fan_in)` at every
 * forward pass, exactly as the reference's `EqualLR` hook computes it
 * (`fan_in = weight.size(1) * weight[0][0].numel()`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { conv2d } from "../ops/conv.ts";
import type { Initializer } from "./init.ts";
import { Module } from "./module.ts";

/** Options of {@linkcode EqualLinear}. */
export interface EqualLinearOptions {
  /** Input features. */
  inDim: number;
  /** Output features. */
  outDim: number;
  /** Source of the N(0, 1) initial weights. */
  init: Initializer;
  /** Initial bias (default zeros), e.g. AdaIN's [1..1, 0..0]. */
  bias?: Float32Array;
}

/**
 * Fully connected layer with equalized learning rate (reference `EqualLinear`, keys
 * `linear.weight_orig` [out, in] and `linear.bias`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { EqualLinear } from "./equalized.ts";
 * import { Initializer } from "./init.ts";
 * const fc = new EqualLinear({ inDim: 8, outDim: 4, init: new Initializer(0) });
 * console.log(fc.apply(tf.ones([2, 8])).shape); // [2, 4]
 * ```
 */
export class EqualLinear extends Module {
  /** Raw weight, [in, out]. */
  readonly weight: tf.Variable;
  /** Bias, [out]. */
  readonly bias: tf.Variable;
  /** He constant sqrt(2 / inDim). */
  readonly scale: number;

  /** Creates the layer with N(0, 1) weights. */
  constructor(options: EqualLinearOptions) {
    super();
    const { inDim, outDim, init, bias } = options;
    // The reference draws [out, in]; draw that and transpose so one seed gives its layout's values.
    const drawn = init.normal([outDim, inDim], [1, 0]);
    this.weight = this.parameter("linear.weight_orig", drawn, "linear");
    this.bias = this.parameter(
      "linear.bias",
      bias ? tf.tensor1d(bias) : tf.zeros([outDim]),
      "plain",
    );
    this.scale = Math.sqrt(2 / inDim);
  }

  /** [N, in] -> [N, out]. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(x, tf.mul(this.weight, this.scale)), this.bias));
  }
}

/** Options of {@linkcode EqualConv2d}. */
export interface EqualConv2dOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Square kernel size. */
  kernel: number;
  /** Zero padding on every side (default 0). */
  padding?: number;
  /** Source of the N(0, 1) initial weights. */
  init: Initializer;
}

/**
 * 2-D convolution with equalized learning rate (reference `EqualConv2d`, keys
 * `conv.weight_orig` [out, in, k, k] and `conv.bias`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { EqualConv2d } from "./equalized.ts";
 * import { Initializer } from "./init.ts";
 * const conv = new EqualConv2d({ inChannels: 3, outChannels: 8, kernel: 3, padding: 1, init: new Initializer(0) });
 * console.log(conv.apply(tf.ones([1, 4, 4, 3])).shape); // [1, 4, 4, 8]
 * ```
 */
export class EqualConv2d extends Module {
  /** Raw weight, HWIO. */
  readonly weight: tf.Variable;
  /** Bias, [out]. */
  readonly bias: tf.Variable;
  /** He constant sqrt(2 / (in * k * k)). */
  readonly scale: number;
  /** Zero padding on every side. */
  readonly padding: number;

  /** Creates the layer with N(0, 1) weights. */
  constructor(options: EqualConv2dOptions) {
    super();
    const { inChannels, outChannels, kernel, padding = 0, init } = options;
    const drawn = init.normal([outChannels, inChannels, kernel, kernel], [2, 3, 1, 0]);
    this.weight = this.parameter("conv.weight_orig", drawn, "conv");
    this.bias = this.parameter("conv.bias", tf.zeros([outChannels]), "plain");
    this.scale = Math.sqrt(2 / (inChannels * kernel * kernel));
    this.padding = padding;
  }

  /** [N, H, W, in] -> [N, H', W', out]. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const w = tf.mul(this.weight, this.scale) as tf.Tensor4D;
      return tf.add(conv2d(x, w, { padding: this.padding }), this.bias);
    });
  }
}
