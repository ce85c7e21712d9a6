/**
 * The progressive discriminator (the reference's `Discriminator`): `from_rgb` at the input
 * resolution, a downsampling ConvBlock per level down to 4x4, minibatch stddev, a 4x4 conv and a
 * linear layer. The reference indexes its lists from the top resolution down: level `i` of an
 * L-level config is `progression.{L-1-i}` / `from_rgb.{L-1-i}`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type StyleGANConfig, validateConfig } from "../config.ts";
import { ConvBlock, MinibatchStdDev } from "../layers/discriminator.ts";
import { EqualConv2d, EqualLinear } from "../layers/equalized.ts";
import { Initializer } from "../layers/init.ts";
import { Module } from "../layers/module.ts";
import { leakyRelu } from "../ops/activation.ts";
import { avgPool2x } from "../ops/resample.ts";

/** How to discriminate: resolution, fade-in, minibatch-stddev grouping. */
export interface DiscriminatorOptions {
  /** Level of the input: images are `4 * 2 ** step` px. Default: the top level. */
  step?: number;
  /** Fade-in weight of the new level; outside [0, 1) (default -1) means no fade-in. */
  alpha?: number;
  /** Minibatch stddev group size; default the whole batch (the reference). */
  stddevGroup?: number;
}

/**
 * Images [N, R, R, 3] -> scores [N, 1].
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Discriminator } from "./discriminator.ts";
 * import { PRESETS } from "../config.ts";
 * const d = new Discriminator({ config: PRESETS.tiny, seed: 2 });
 * console.log(d.apply(tf.randomNormal([4, 16, 16, 3]), { step: 2, alpha: 0.5 }).shape); // [4, 1]
 * ```
 */
export class Discriminator extends Module {
  /** Architecture. */
  readonly config: StyleGANConfig;
  /** Blocks by level (index = level, 0 = the final 4x4 block). */
  readonly blocks: ConvBlock[];
  /** 1x1 input convolutions by level. */
  readonly fromRgb: EqualConv2d[];
  #stddev = new MinibatchStdDev();
  #linear: EqualLinear;

  /** Builds a discriminator with seeded N(0, 1) weights (registration order as the reference). */
  constructor(options: { config: StyleGANConfig; seed?: number }) {
    super();
    const { config, seed = 0 } = options;
    validateConfig(config);
    this.config = config;
    const init = new Initializer(seed);
    const ch = config.dChannels;
    const levels = ch.length;
    const blocks: ConvBlock[] = [];
    for (let i = levels - 1; i >= 0; i--) {
      const name = `progression.${levels - 1 - i}`;
      blocks[i] = this.child(
        name,
        i === 0
          ? new ConvBlock({
            inChannels: ch[0] + 1,
            outChannels: ch[0],
            kernel: 3,
            padding: 1,
            kernel2: 4,
            padding2: 0,
            init,
          })
          : new ConvBlock({
            inChannels: ch[i],
            outChannels: ch[i - 1],
            kernel: 3,
            padding: 1,
            downsample: true,
            fused: config.dFused[i],
            init,
          }),
      );
    }
    const fromRgb: EqualConv2d[] = [];
    for (let i = levels - 1; i >= 0; i--) {
      const name = `from_rgb.${levels - 1 - i}` + (config.fromRgbActivate ? ".0" : "");
      fromRgb[i] = this.child(
        name,
        new EqualConv2d({ inChannels: 3, outChannels: ch[i], kernel: 1, init }),
      );
    }
    this.blocks = blocks;
    this.fromRgb = fromRgb;
    this.#linear = this.child("linear", new EqualLinear({ inDim: ch[0], outDim: 1, init }));
  }

  /** Images [N, R, R, 3] with R = 4 * 2 ** step -> scores [N, 1]. */
  apply(x: tf.Tensor4D, options: DiscriminatorOptions = {}): tf.Tensor2D {
    const levels = this.blocks.length;
    const { step = levels - 1, alpha = -1, stddevGroup } = options;
    const size = 4 * 2 ** step;
    if (!Number.isInteger(step) || step < 0 || step >= levels) {
      throw new Error(`Discriminator step must be an integer in [0, ${levels - 1}], got ${step}`);
    }
    if (x.rank !== 4 || x.shape[1] !== size || x.shape[2] !== size || x.shape[3] !== 3) {
      throw new Error(`Discriminator expected [N, ${size}, ${size}, 3], got [${x.shape}]`);
    }
    return tf.tidy(() => {
      const fromRgb = (i: number, image: tf.Tensor4D) => {
        const out = this.fromRgb[i].apply(image);
        return this.config.fromRgbActivate ? leakyRelu(out) : out;
      };
      let out = fromRgb(step, x);
      for (let i = step; i >= 0; i--) {
        if (i === 0) out = this.#stddev.apply(out, { groupSize: stddevGroup });
        out = this.blocks[i].apply(out);
        if (i === step && i > 0 && alpha >= 0 && alpha < 1) {
          const skip = fromRgb(i - 1, avgPool2x(x));
          out = tf.add(tf.mul(skip, 1 - alpha), tf.mul(out, alpha)) as tf.Tensor4D;
        }
      }
      return this.#linear.apply(tf.reshape(out, [out.shape[0], out.shape[3]]));
    });
  }
}
