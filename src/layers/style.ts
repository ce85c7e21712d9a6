/**
 * The style-based generator's layers (Karras et al. 2019, section 2): pixel norm, the learned
 * constant, per-channel noise, AdaIN, and the StyledConv block that chains them.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { leakyRelu } from "../ops/activation.ts";
import { upsample2x } from "../ops/resample.ts";
import { EqualConv2d, EqualLinear } from "./equalized.ts";
import type { Initializer } from "./init.ts";
import { Module } from "./module.ts";
import { Blur, FusedUpsample } from "./resample.ts";

/**
 * Normalizes each latent to unit mean square over its features: `x / sqrt(mean(x^2) + 1e-8)`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { PixelNorm } from "./style.ts";
 * new PixelNorm().apply(tf.tensor2d([[3, 4]])).print();
 * ```
 */
export class PixelNorm extends Module {
  /** [N, D] -> [N, D] (or normalizes the last axis of any tensor). */
  apply<T extends tf.Tensor>(x: T): T {
    return tf.tidy(() => {
      const axis = x.rank - 1;
      return tf.div(x, tf.sqrt(tf.add(tf.mean(tf.square(x), axis, true), 1e-8))) as T;
    });
  }
}

/**
 * Adds per-pixel noise scaled by a learned per-channel strength (reference `NoiseInjection`
 * wrapped in `equal_lr`: key `weight_orig` [1, C, 1, 1], zeros, scaled by `sqrt(2 / C)`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { NoiseInjection } from "./style.ts";
 * const n = new NoiseInjection({ channels: 4 });
 * console.log(n.apply(tf.ones([1, 8, 8, 4]), tf.ones([1, 8, 8, 1])).shape); // [1, 8, 8, 4]
 * ```
 */
export class NoiseInjection extends Module {
  /** Raw strength, [C]. */
  readonly weight: tf.Variable;
  /** sqrt(2 / C): the reference's fan-in rule applied to a [1, C, 1, 1] weight. */
  readonly scale: number;

  /** Creates the layer with zero strength. */
  constructor(options: { channels: number }) {
    super();
    this.weight = this.parameter("weight_orig", tf.zeros([options.channels]), "channel");
    this.scale = Math.sqrt(2 / options.channels);
  }

  /** image [N, H, W, C] + strength * noise [N, H, W, 1]. */
  apply(image: tf.Tensor4D, noise: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.add(image, tf.mul(tf.mul(this.weight, this.scale), noise)));
  }
}

/**
 * Adaptive instance normalization: instance norm (eps 1e-5, biased variance, as
 * `nn.InstanceNorm2d`) then a per-channel scale and bias predicted from the style by an
 * EqualLinear whose bias starts at [1, ..., 1, 0, ..., 0].
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { AdaptiveInstanceNorm } from "./style.ts";
 * import { Initializer } from "./init.ts";
 * const adain = new AdaptiveInstanceNorm({ channels: 4, styleDim: 8, init: new Initializer(0) });
 * console.log(adain.apply(tf.randomNormal([2, 4, 4, 4]), tf.ones([2, 8])).shape); // [2, 4, 4, 4]
 * ```
 */
export class AdaptiveInstanceNorm extends Module {
  /** Predicts [gamma, beta] from w. */
  readonly style: EqualLinear;
  /** Normalized channels. */
  readonly channels: number;

  /** Creates the layer. */
  constructor(options: { channels: number; styleDim: number; init: Initializer }) {
    super();
    const { channels, styleDim, init } = options;
    const bias = new Float32Array(2 * channels).fill(1, 0, channels);
    this.style = this.child(
      "style",
      new EqualLinear({ inDim: styleDim, outDim: 2 * channels, init, bias }),
    );
    this.channels = channels;
  }

  /** x [N, H, W, C], w [N, styleDim] -> [N, H, W, C]. */
  apply(x: tf.Tensor4D, w: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => {
      const [n, , , c] = x.shape;
      const style = this.style.apply(w);
      const gamma = tf.reshape(tf.slice(style, [0, 0], [n, c]), [n, 1, 1, c]);
      const beta = tf.reshape(tf.slice(style, [0, c], [n, c]), [n, 1, 1, c]);
      const centered = tf.sub(x, tf.mean(x, [1, 2], true));
      const variance = tf.mean(tf.square(centered), [1, 2], true);
      const normed = tf.div(centered, tf.sqrt(tf.add(variance, 1e-5)));
      return tf.add(tf.mul(gamma, normed), beta) as tf.Tensor4D;
    });
  }
}

/**
 * The learned 4x4 constant that starts synthesis (reference `ConstantInput`, key `input`
 * [1, C, 4, 4]).
 *
 * @example
 * ```ts
 * import { ConstantInput } from "./style.ts";
 * import { Initializer } from "./init.ts";
 * const c = new ConstantInput({ channels: 8, init: new Initializer(0) });
 * console.log(c.apply(3).shape); // [3, 4, 4, 8]
 * ```
 */
export class ConstantInput extends Module {
  /** The constant, [1, 4, 4, C]. */
  readonly input: tf.Variable;

  /** Creates the constant with N(0, 1) values. */
  constructor(options: { channels: number; size?: number; init: Initializer }) {
    super();
    const { channels, size = 4, init } = options;
    this.input = this.parameter(
      "input",
      init.normal([1, channels, size, size], [0, 2, 3, 1]),
      "image",
    );
  }

  /** The constant repeated `batch` times: [batch, 4, 4, C]. */
  apply(batch: number): tf.Tensor4D {
    return tf.tidy(() => tf.tile(this.input, [batch, 1, 1, 1]) as tf.Tensor4D);
  }
}

/** Options of {@linkcode StyledConv}. */
export interface StyledConvOptions {
  /** Input channels (ignored for the initial block, which starts from its constant). */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Width of w. */
  styleDim: number;
  /** First block: a learned constant replaces the first convolution. */
  initial?: boolean;
  /** Double the resolution before the first convolution. */
  upsample?: boolean;
  /** Upsample with the fused transposed convolution instead of nearest + conv. */
  fused?: boolean;
  /** Source of the N(0, 1) initial weights. */
  init: Initializer;
}

/**
 * One synthesis level (the reference's `StyledConvBlock`): [upsample] conv -> noise -> lrelu ->
 * AdaIN, twice. As in the reference, one noise map per level feeds both noise injections, and
 * the upsampling path blurs after the convolution (bias before blur).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { StyledConv } from "./style.ts";
 * import { Initializer } from "./init.ts";
 * const block = new StyledConv({ inChannels: 8, outChannels: 4, styleDim: 16, upsample: true, init: new Initializer(0) });
 * const out = block.apply(tf.ones([2, 4, 4, 8]), tf.ones([2, 16]), tf.zeros([2, 8, 8, 1]));
 * console.log(out.shape); // [2, 8, 8, 4]
 * ```
 */
export class StyledConv extends Module {
  /** Options it was built with. */
  readonly options: Readonly<StyledConvOptions>;
  #constant?: ConstantInput;
  #upConv?: EqualConv2d | FusedUpsample;
  #blur?: Blur;
  #conv1?: EqualConv2d;
  #noise1: NoiseInjection;
  #adain1: AdaptiveInstanceNorm;
  #conv2: EqualConv2d;
  #noise2: NoiseInjection;
  #adain2: AdaptiveInstanceNorm;

  /** Creates the block; child names follow the reference's `nn.Sequential` indices. */
  constructor(options: StyledConvOptions) {
    super();
    this.options = options;
    const { inChannels, outChannels: c, styleDim, initial, upsample, fused, init } = options;
    const conv = { inChannels, outChannels: c, kernel: 3, padding: 1, init };
    if (initial) {
      this.#constant = this.child("conv1", new ConstantInput({ channels: inChannels, init }));
    } else if (upsample && fused) {
      this.#upConv = this.child("conv1.0", new FusedUpsample(conv));
      this.#blur = this.child("conv1.1", new Blur({ channels: c }));
    } else if (upsample) {
      this.#upConv = this.child("conv1.1", new EqualConv2d(conv));
      this.#blur = this.child("conv1.2", new Blur({ channels: c }));
    } else {
      this.#conv1 = this.child("conv1", new EqualConv2d(conv));
    }
    this.#noise1 = this.child("noise1", new NoiseInjection({ channels: c }));
    this.#adain1 = this.child("adain1", new AdaptiveInstanceNorm({ channels: c, styleDim, init }));
    this.#conv2 = this.child("conv2", new EqualConv2d({ ...conv, inChannels: c }));
    this.#noise2 = this.child("noise2", new NoiseInjection({ channels: c }));
    this.#adain2 = this.child("adain2", new AdaptiveInstanceNorm({ channels: c, styleDim, init }));
  }

  /** x [N, H, W, in] (batch only for the initial block), w [N, styleDim], noise [N, H', W', 1]. */
  apply(x: tf.Tensor4D, w: tf.Tensor2D, noise: tf.Tensor4D): tf.Tensor4D {
    const { initial, upsample, fused, inChannels } = this.options;
    const size = noise.shape[1];
    const inSize = upsample ? size / 2 : size;
    if (!initial && (x.shape[1] !== inSize || x.shape[3] !== inChannels)) {
      throw new Error(
        `StyledConv expected [N, ${inSize}, ${inSize}, ${inChannels}], got [${x.shape}]`,
      );
    }
    return tf.tidy(() => {
      let out: tf.Tensor4D;
      if (this.#constant) out = this.#constant.apply(x.shape[0]);
      else if (this.#conv1) out = this.#conv1.apply(x);
      else out = this.#blur!.apply(this.#upConv!.apply(fused ? x : upsample2x(x)));
      out = this.#adain1.apply(leakyRelu(this.#noise1.apply(out, noise)), w);
      out = this.#conv2.apply(out);
      return this.#adain2.apply(leakyRelu(this.#noise2.apply(out, noise)), w);
    });
  }
}
