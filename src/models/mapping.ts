/**
 * The mapping network f: Z -> W (Karras et al. 2019, section 2): pixel norm, then `nMlp`
 * equalized fully connected layers with LeakyReLU(0.2). Reference keys `style.{2i+1}.linear.*`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { EqualLinear } from "../layers/equalized.ts";
import type { Initializer } from "../layers/init.ts";
import { Module } from "../layers/module.ts";
import { PixelNorm } from "../layers/style.ts";
import { leakyRelu } from "../ops/activation.ts";

/**
 * z [N, styleDim] -> w [N, styleDim].
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { MappingNetwork } from "./mapping.ts";
 * import { Initializer } from "../layers/init.ts";
 * const f = new MappingNetwork({ styleDim: 16, nMlp: 2, init: new Initializer(0) });
 * console.log(f.apply(tf.randomNormal([3, 16])).shape); // [3, 16]
 * ```
 */
export class MappingNetwork extends Module {
  #norm = new PixelNorm();
  #layers: EqualLinear[] = [];
  /** Width of z and w. */
  readonly styleDim: number;

  /** Creates the network (the reference's `nn.Sequential`: index 0 is PixelNorm, odd indices the linears). */
  constructor(options: { styleDim: number; nMlp: number; init: Initializer }) {
    super();
    const { styleDim, nMlp, init } = options;
    this.styleDim = styleDim;
    for (let i = 0; i < nMlp; i++) {
      this.#layers.push(
        this.child(`${2 * i + 1}`, new EqualLinear({ inDim: styleDim, outDim: styleDim, init })),
      );
    }
  }

  /** z [N, styleDim] -> w [N, styleDim]. */
  apply(z: tf.Tensor2D): tf.Tensor2D {
    if (z.rank !== 2 || z.shape[1] !== this.styleDim) {
      throw new Error(`MappingNetwork expected [N, ${this.styleDim}], got [${z.shape}]`);
    }
    return tf.tidy(() => {
      let w = this.#norm.apply(z);
      for (const layer of this.#layers) w = leakyRelu(layer.apply(w));
      return w;
    });
  }
}
