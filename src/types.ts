/**
 * Host-side tensors: the currency of state dicts, files and parity vectors.
 *
 * @module
 */

/** A float32 array with a shape, living in JS memory (not on a tfjs backend). */
export interface HostTensor {
  /** Dimensions, outermost first (NCHW / OIHW when it speaks the reference's layout). */
  shape: number[];
  /** Row-major values; `data.length` equals the product of `shape`. */
  data: Float32Array;
}

/** Named host tensors, e.g. a state dict in the reference's key naming. */
export type StateDict = Record<string, HostTensor>;
