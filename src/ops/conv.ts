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
 * every side (done by the kernel, not a separate pad); twice (and more) differentiable on every
 * backend.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
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
  return convPadded(x, w, stride, [[padding, padding], [padding, padding]]);
}

/** Zero padding of rows and columns: [[top, bottom], [left, right]]. */
type Pads = [[number, number], [number, number]];

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

/** Convolution with explicit padding and a custom gradient built from `convPadded` itself. */
function convPadded(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pads: Pads): tf.Tensor4D {
  const [[top, bottom], [left, right]] = pads;
  const explicit: tf.backend_util.ExplicitPadding = [[0, 0], [top, bottom], [left, right], [0, 0]];
  return lazyGradientEngine().runKernelFunc({
    forwardFunc: (_backend, save) => {
      // Inputs may be intermediates of a tidy that ends before backprop: `save` keeps them.
      save([x, w]);
      return tf.conv2d(x, w, stride, explicit);
    },
    // Thunks: backprop only asks for the gradients on its path (no dw through a frozen D, no
    // dx of the input images unless a penalty needs it).
    backwardsFunc: (dy, saved) => {
      const [input, filter] = saved as tf.Tensor4D[];
      return {
        x: () => inputGrad(dy as tf.Tensor4D, filter, input.shape, stride, pads),
        w: () => filterGrad(input, dy as tf.Tensor4D, filter.shape, stride, pads),
      };
    },
    inputs: { x, w },
  }) as tf.Tensor4D;
}

/** The part of tfjs' engine that `tf.customGrad` is built on, with lazy input gradients. */
interface LazyGradientEngine {
  runKernelFunc(props: {
    forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor;
    backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor;
}

/**
 * `tf.customGrad` computes every input's gradient eagerly; the engine method under it accepts
 * thunks. It is not in tfjs' typings, so check it is there and fail loudly if an upgrade moved it.
 */
function lazyGradientEngine(): LazyGradientEngine {
  const engine = tf.engine() as unknown as Partial<LazyGradientEngine>;
  if (typeof engine.runKernelFunc !== "function") {
    throw new Error(
      `tfjs ${tf.version.tfjs} has no Engine.runKernelFunc, which src/ops/conv.ts needs for its lazy gradients`,
    );
  }
  return engine as LazyGradientEngine;
}

/**
 * d(conv)/dx: the output gradient, zero-dilated by the stride, against the flipped, transposed
 * filter; padding k-1-top before and whatever reaches the input's size after.
 */
function inputGrad(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: [number, number, number, number],
  stride: number,
  pads: Pads,
): tf.Tensor4D {
  const [kh, kw] = w.shape;
  const [[top], [left]] = pads;
  const d = dilate(dy, stride); // [N, Hd, Wd, Co]
  const flipped = tf.transpose(flipSpatial(w), [0, 1, 3, 2]); // [kh, kw, Co, Ci]
  return convPadded(d, flipped, 1, [
    [kh - 1 - top, xShape[1] - d.shape[1] + top],
    [kw - 1 - left, xShape[2] - d.shape[2] + left],
  ]);
}

/**
 * Rotates a filter by 180 degrees (reverses both spatial axes) as a product with an
 * anti-diagonal permutation matrix: exact, differentiable, and 15x faster on wasm than
 * `tf.reverse` (6 ms against 86 ms for a 3x3x512x512 filter).
 */
export function flipSpatial(w: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  if (kh * kw === 1) return w;
  return tf.tidy(() => {
    const n = kh * kw;
    const perm = new Float32Array(n * n);
    for (let i = 0; i < n; i++) perm[i * n + (n - 1 - i)] = 1;
    const flat = tf.reshape(w, [n, ci * co]);
    return tf.reshape(tf.matMul(tf.tensor2d(perm, [n, n]), flat), [kh, kw, ci, co]);
  });
}

/**
 * d(conv)/dw: the batch becomes the contracted channel and the (dilated) output gradient the
 * filter; rows and columns the forward pass never reached are cut off.
 */
function filterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  wShape: [number, number, number, number],
  stride: number,
  pads: Pads,
): tf.Tensor4D {
  const [kh, kw] = wShape;
  const [[top], [left]] = pads;
  const d = dilate(dy, stride); // [N, Hd, Wd, Co]
  const [n, hd, wd] = d.shape;
  // Bottom / right padding that makes the correlation exactly k wide; negative means unused input.
  let bottom = hd + kh - 1 - x.shape[1] - top;
  let right = wd + kw - 1 - x.shape[2] - left;
  let used = x;
  if (bottom < 0 || right < 0) {
    used = tf.slice(x, [0, 0, 0, 0], [
      n,
      x.shape[1] + Math.min(bottom, 0),
      x.shape[2] + Math.min(right, 0),
      x.shape[3],
    ]);
    bottom = Math.max(bottom, 0);
    right = Math.max(right, 0);
  }
  const xT = tf.transpose(used, [3, 1, 2, 0]); // [Ci, H', W', N]
  const dT = tf.transpose(d, [1, 2, 0, 3]); // [Hd, Wd, N, Co]
  const grad = convPadded(xT, dT, 1, [[top, bottom], [left, right]]); // [Ci, kh, kw, Co]
  return tf.transpose(grad, [1, 2, 0, 3]);
}
