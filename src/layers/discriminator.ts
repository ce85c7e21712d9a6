/**
 * The discriminator's layers: the two-convolution `ConvBlock` (with blurred, optionally fused
 * downsampling) and the minibatch standard deviation feature (Progressive GAN, section 3).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { leakyRelu } from "../ops/activation.ts";
import { avgPool2x } from "../ops/resample.ts";
import { EqualConv2d } from "./equalized.ts";
import type { Initializer } from "./init.ts";
import { Module } from "./module.ts";
import { Blur, FusedDownsample } from "./resample.ts";

/** Options of {@linkcode ConvBlock}. */
export interface ConvBlockOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** First convolution's kernel and padding (the reference uses 3, 1). */
  kernel: number;
  /** Zero padding of the first convolution. */
  padding: number;
  /** Second convolution's kernel (default: `kernel`; the last block uses 4). */
  kernel2?: number;
  /** Second convolution's padding (default: `padding`; the last block uses 0). */
  padding2?: number;
  /** Halve the resolution in the second convolution (blur, conv, avg pool). */
  downsample?: boolean;
  /** Downsample with the fused strided convolution instead of conv + avg pool. */
  fused?: boolean;
  /** Source of the N(0, 1) initial weights. */
  init: Initializer;
}

/**
 * Two equalized convolutions with LeakyReLU(0.2) (the reference's `ConvBlock`); with
 * `downsample`, the second is blur -> conv -> avg pool, or blur -> fused strided conv.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { ConvBlock } from "./discriminator.ts";
 * import { Initializer } from "./init.ts";
 * const block = new ConvBlock({ inChannels: 4, outChannels: 8, kernel: 3, padding: 1, downsample: true, init: new Initializer(0) });
 * console.log(block.apply(tf.ones([2, 8, 8, 4])).shape); // [2, 4, 4, 8]
 * ```
 */
export class ConvBlock extends Module {
  /** Options it was built with. */
  readonly options: Readonly<ConvBlockOptions>;
  #conv1: EqualConv2d;
  #blur?: Blur;
  #conv2: EqualConv2d | FusedDownsample;

  /** Creates the block; child names follow the reference's `nn.Sequential` indices. */
  constructor(options: ConvBlockOptions) {
    super();
    this.options = options;
    const { inChannels, outChannels: c, kernel, padding, downsample, fused, init } = options;
    const { kernel2 = kernel, padding2 = padding } = options;
    this.#conv1 = this.child(
      "conv1.0",
      new EqualConv2d({ inChannels, outChannels: c, kernel, padding, init }),
    );
    const second = { inChannels: c, outChannels: c, kernel: kernel2, padding: padding2, init };
    if (downsample) {
      this.#blur = this.child("conv2.0", new Blur({ channels: c }));
      this.#conv2 = this.child(
        "conv2.1",
        fused ? new FusedDownsample(second) : new EqualConv2d(second),
      );
    } else {
      this.#conv2 = this.child("conv2.0", new EqualConv2d(second));
    }
  }

  /** [N, H, W, in] -> [N, H', W', out]. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const { inChannels, downsample, fused } = this.options;
    if (x.shape[3] !== inChannels) {
      throw new Error(`ConvBlock expected [N, H, W, ${inChannels}], got [${x.shape}]`);
    }
    return tf.tidy(() => {
      let out = leakyRelu(this.#conv1.apply(x));
      if (this.#blur) out = this.#blur.apply(out);
      out = this.#conv2.apply(out);
      if (downsample && !fused) out = avgPool2x(out);
      return leakyRelu(out);
    });
  }
}

/**
 * Appends the minibatch standard deviation as one more channel: the standard deviation of each
 * feature over a group of samples (biased, + 1e-8 inside the sqrt), averaged over features and
 * pixels. The reference uses the whole batch as one group (`groupSize` undefined); the official
 * code uses groups of 4, where sample n is grouped with samples n +- N/G, ... (strided).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { MinibatchStdDev } from "./discriminator.ts";
 * console.log(new MinibatchStdDev().apply(tf.randomNormal([4, 4, 4, 8])).shape); // [4, 4, 4, 9]
 * ```
 */
export class MinibatchStdDev extends Module {
  /** [N, H, W, C] -> [N, H, W, C + 1]. */
  apply(x: tf.Tensor4D, options: { groupSize?: number } = {}): tf.Tensor4D {
    const [n, h, w, c] = x.shape;
    const group = Math.min(options.groupSize ?? n, n);
    if (n % group !== 0) {
      throw new Error(`MinibatchStdDev group size ${group} does not divide the batch of ${n}`);
    }
    return tf.tidy(() => {
      const grouped = tf.reshape(x, [group, n / group, h, w, c]);
      const centered = tf.sub(grouped, tf.mean(grouped, 0, true));
      const std = tf.sqrt(tf.add(tf.mean(tf.square(centered), 0), 1e-8)); // [N/G, H, W, C]
      const perMember = tf.mean(std, [1, 2, 3]); // [N/G]
      const feature = tf.reshape(tf.tile(perMember, [group]), [n, 1, 1, 1]);
      return tf.concat([x, tf.broadcastTo(feature, [n, h, w, 1])], 3) as tf.Tensor4D;
    });
  }
}
