/**
 * Seeded parameter initialisation, so that a model built twice from one seed is the same model.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Draws standard-normal tensors from a seed: each call advances the seed, so the n-th parameter
 * of a model always gets the same values.
 *
 * @example
 * ```ts
 * import { Initializer } from "./init.ts";
 * const init = new Initializer(1);
 * console.log(init.normal([2, 2]).shape); // [2, 2]
 * ```
 */
export class Initializer {
  #seed: number;

  /** Starts the stream at `seed`. */
  constructor(seed: number) {
    this.#seed = seed;
  }

  /**
   * A tensor of N(0, 1) draws (the reference's `normal_()` / `torch.randn`) in the reference's
   * `shape`, optionally permuted into our layout.
   */
  normal(shape: number[], perm?: number[]): tf.Tensor {
    const seed = this.#seed++;
    return tf.tidy(() => {
      const drawn = tf.randomNormal(shape, 0, 1, "float32", seed);
      return perm ? tf.transpose(drawn, perm) : drawn;
    });
  }
}
