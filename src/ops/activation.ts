/**
 * Activations that stay differentiable to any order on every backend.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * LeakyReLU with slope 0.2, as `0.2 x + 0.8 relu(x)` (tfjs' leakyRelu gradient is not
 * differentiable again).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { leakyRelu } from "./activation.ts";
 * leakyRelu(tf.tensor([-1, 2])).print(); // [-0.2, 2]
 * ```
 */
export function leakyRelu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.add(tf.mul(x, 0.2), tf.mul(tf.relu(x), 0.8)) as T);
}
