/**
 * Convolution whose gradients are convolutions again, to any order.
 *
 * tfjs differentiates `conv2d` with `Conv2DBackpropInput` / `Conv2DBackpropFilter` kernels. The
 * wasm backend has no `Conv2DBackpropFilter` and a slow `Conv2DBackpropInput` (1.2 GFLOP/s), and
 * those kernels' own gradients are incomplete, which breaks the R1 / WGAN-GP penalties (they
 * differentiate a gradient). Here both gradients are written as forward `conv2d`s of this same
 * function, so every backend runs fast forward kernels and any order of differentiation works.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options of {@linkcode conv2d}. */
export interface Conv2dOptions {
  /** Step of the window: 1 or 2. Default 1. */
  stride?: number;
  /** Zero padding on every side. Default 0. */
  padding?: number;
}

/**
 * 2-D cross-correlation (PyTorch's `F.conv2d`) of NHWC input with an HWIO filter, zero padding on
 * every side; twice (and more) differentiable on every backend.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { conv2d } from "./conv.ts";
 * const y = conv2d(tf.ones([1, 8, 8, 3]), tf.ones([3, 3, 3, 4]), { padding: 1 });
 * console.log(y.shape); // [1, 8, 8, 4]
 * ```
 */
export function conv2d(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  options: Conv2dOptions = {},
): tf.Tensor4D {
  const { stride = 1, padding = 0 } = options;
  return tf.tidy(() => {
    const xp = padding > 0
      ? tf.pad(x, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
      : x;
    return convValid(xp, w, stride);
  });
}

/** Inserts `stride - 1` zeros between rows and between columns: [N, H, W, C] -> [N, s(H-1)+1, s(W-1)+1, C]. */
export function dilate(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return x;
  return tf.tidy((): tf.Tensor4D => {
    const [n, h, w, c] = x.shape;
    const s = stride - 1;
    // Rank-4 pads only: WebGPU's pad is wrong above rank 4. Columns first, then rows.
    const gap: Array<[number, number]> = [[0, 0], [0, 0], [0, s], [0, 0]];
    const cols = tf.pad(tf.reshape(x, [n * h, w, 1, c]), gap);
    const rows = tf.pad(tf.reshape(cols, [n, h, 1, w * stride * c]), gap);
    const flat = tf.reshape(rows, [n, h * stride, w * stride, c]) as tf.Tensor4D;
    return tf.slice(flat, [0, 0, 0, 0], [n, stride * (h - 1) + 1, stride * (w - 1) + 1, c]);
  });
}

/** 'valid' convolution with a custom gradient built from `convValid` itself. */
function convValid(x: tf.Tensor4D, w: tf.Tensor4D, stride: number): tf.Tensor4D {
  const op = tf.customGrad((xIn, wIn, save) => {
    const value = tf.conv2d(xIn as tf.Tensor4D, wIn as tf.Tensor4D, stride, "valid");
    // Inputs may be intermediates of a tidy that ends before backprop: `save` keeps them.
    (save as tf.GradSaveFunc)([xIn as tf.Tensor, wIn as tf.Tensor]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [input, filter] = saved as tf.Tensor4D[];
      return [
        inputGrad(dy as tf.Tensor4D, filter, input.shape, stride),
        filterGrad(input, dy as tf.Tensor4D, filter.shape, stride),
      ];
    };
    return { value, gradFunc };
  });
  return op(x, w) as tf.Tensor4D;
}

/** d(conv)/dx: the strided-dilated output gradient, fully padded, against the flipped filter. */
function inputGrad(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: [number, number, number, number],
  stride: number,
): tf.Tensor4D {
  const [k, kw] = w.shape;
  const d = dilate(dy, stride); // [N, Hd, Wd, Co]
  const extraH = xShape[1] - (d.shape[1] + k - 1);
  const extraW = xShape[2] - (d.shape[2] + kw - 1);
  const padded = tf.pad(d, [[0, 0], [k - 1, k - 1 + extraH], [kw - 1, kw - 1 + extraW], [0, 0]]);
  const flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]); // [k, k, Co, Ci]
  return convValid(padded, flipped, 1);
}

/** d(conv)/dw: batch becomes the contracted channel, the output gradient becomes the filter. */
function filterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  wShape: [number, number, number, number],
  stride: number,
): tf.Tensor4D {
  const [k, kw, ci] = wShape;
  const d = dilate(dy, stride); // [N, Hd, Wd, Co]
  const [n, hd, wd] = d.shape;
  const used = tf.slice(x, [0, 0, 0, 0], [n, hd + k - 1, wd + kw - 1, ci]);
  const xT = tf.transpose(used, [3, 1, 2, 0]); // [Ci, H', W', N]
  const dT = tf.transpose(d, [1, 2, 0, 3]); // [Hd, Wd, N, Co]
  return tf.transpose(convValid(xT, dT, 1), [1, 2, 0, 3]); // [k, k, Ci, Co]
}
