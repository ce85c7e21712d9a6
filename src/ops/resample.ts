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
 * import "@tensorflow/tfjs-backend-cpu";
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
 * import "@tensorflow/tfjs-backend-cpu";
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
 * The reference's Blur: a per-channel [1, 2, 1] x [1, 2, 1] / 16 filter with zero padding 1,
 * applied as two separable passes of shifted slices.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { blur3x3 } from "./resample.ts";
 * console.log(blur3x3(tf.ones([1, 4, 4, 2])).shape); // [1, 4, 4, 2]
 * ```
 */
export function blur3x3(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const rows = tf.pad(x, [[0, 0], [1, 1], [0, 0], [0, 0]]);
    // [1, 2, 1] / 4 along one axis: taps at offsets 0, 1, 2 of the padded tensor.
    const pass = (t: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D => {
      const tap = (o: number) =>
        tf.slice(t, axis === 1 ? [0, o, 0, 0] : [0, 0, o, 0], [n, h, w, c]);
      return tf.mul(tf.add(tf.add(tap(0), tf.mul(tap(1), 2)), tap(2)), 0.25);
    };
    const v = pass(rows, 1);
    return pass(tf.pad(v, [[0, 0], [0, 0], [1, 1], [0, 0]]), 2);
  });
}
