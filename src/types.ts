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

/**
 * Adam moments for one model, keyed by the model's parameter names (the reference's state_dict
 * keys, e.g. `generator.progression.0.conv2.conv.weight_orig`), in the reference's NCHW layout.
 */
export interface AdamState {
  /** Number of steps taken (Adam's `t`, the reference's `state[p]["step"]`). */
  step: number;
  /** First moments (`exp_avg`). */
  m: StateDict;
  /** Second moments (`exp_avg_sq`). */
  v: StateDict;
}

/** An RGB colour, each component in 0..255. */
export type Rgb = [number, number, number];
