/**
 * The parameter tree shared by every layer: trainable variables in our NHWC layouts, named and
 * shaped the way the reference's `state_dict` names and shapes them.
 *
 * A layer declares each parameter with the reference's key suffix and a {@linkcode Layout} that
 * says how our tensor maps to the reference's NCHW/OIHW one, so `stateDict()` / `loadStateDict()`
 * speak the reference format without a conversion table anywhere else.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { HostTensor, StateDict } from "../types.ts";

/**
 * How a parameter is stored here versus in the reference.
 * - `plain`: same shape and order (biases).
 * - `linear`: ours [in, out], reference [out, in].
 * - `conv`: ours HWIO [kh, kw, in, out], reference OIHW [out, in, kh, kw].
 * - `convTranspose`: ours [kh, kw, in, out], reference [in, out, kh, kw] (`conv_transpose2d`).
 * - `channel`: ours [C], reference [1, C, 1, 1] (noise strength).
 * - `image`: ours NHWC, reference NCHW (the constant input).
 */
export type Layout = "plain" | "linear" | "conv" | "convTranspose" | "channel" | "image";

/** A trainable parameter with its reference name. */
export interface NamedParameter {
  /** Full reference `state_dict` key, e.g. `generator.to_rgb.0.conv.weight_orig`. */
  name: string;
  /** The tfjs variable, in our layout. */
  variable: tf.Variable;
  /** How it maps to the reference's layout. */
  layout: Layout;
}

/** Permutation from our layout to the reference's; undefined for reshape-only layouts. */
const TO_REFERENCE: Partial<Record<Layout, number[]>> = {
  linear: [1, 0],
  conv: [3, 2, 0, 1],
  convTranspose: [2, 3, 0, 1],
  image: [0, 3, 1, 2],
};

/** A constant buffer the reference stores in its state dict (the Blur kernels). */
export interface NamedBuffer {
  /** Full reference key. */
  name: string;
  /** Its value in the reference's layout. */
  value: HostTensor;
}

/**
 * Base class of every layer and model: holds its own parameters and named children.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Module } from "./module.ts";
 * class Scale extends Module {
 *   w = this.parameter("weight", tf.ones([3]), "plain");
 * }
 * console.log(Object.keys(await new Scale().stateDict())); // ["weight"]
 * ```
 */
export class Module {
  #parameters: { suffix: string; variable: tf.Variable; layout: Layout }[] = [];
  #buffers: { suffix: string; value: HostTensor }[] = [];
  #children: { name: string; module: Module }[] = [];

  /** Registers a trainable parameter (takes ownership of `initial`). */
  protected parameter(suffix: string, initial: tf.Tensor, layout: Layout): tf.Variable {
    const variable = tf.variable(initial);
    initial.dispose();
    this.#parameters.push({ suffix, variable, layout });
    return variable;
  }

  /** Registers a constant that appears in the reference's state dict. */
  protected buffer(suffix: string, value: HostTensor): void {
    this.#buffers.push({ suffix, value });
  }

  /** Registers a child module under a reference name segment (may contain dots, e.g. `conv1.1`). */
  protected child<M extends Module>(name: string, module: M): M {
    this.#children.push({ name, module });
    return module;
  }

  /** Every trainable parameter below this module, in the reference's registration order. */
  namedParameters(prefix = ""): NamedParameter[] {
    const out: NamedParameter[] = this.#parameters.map((p) => ({
      name: prefix + p.suffix,
      variable: p.variable,
      layout: p.layout,
    }));
    for (const { name, module } of this.#children) {
      out.push(...module.namedParameters(`${prefix}${name}.`));
    }
    return out;
  }

  /** Every buffer below this module. */
  namedBuffers(prefix = ""): NamedBuffer[] {
    const out = this.#buffers.map((b) => ({ name: prefix + b.suffix, value: b.value }));
    for (const { name, module } of this.#children) {
      out.push(...module.namedBuffers(`${prefix}${name}.`));
    }
    return out;
  }

  /** The trainable variables, in order. */
  variables(): tf.Variable[] {
    return this.namedParameters().map((p) => p.variable);
  }

  /** Parameters and buffers in the reference's naming, NCHW/OIHW layouts. */
  async stateDict(): Promise<StateDict> {
    const out: StateDict = {};
    for (const p of this.namedParameters()) {
      out[p.name] = await toReference(p.variable, p.layout);
    }
    for (const b of this.namedBuffers()) out[b.name] = b.value;
    return out;
  }

  /**
   * Loads a reference-format state dict. Buffers are optional (the Jittor port drops them);
   * unknown keys and shape mismatches throw, naming the key and both shapes.
   */
  loadStateDict(state: StateDict, options: { strict?: boolean } = {}): void {
    const { strict = true } = options;
    const params = this.namedParameters();
    const known = new Set([
      ...params.map((p) => p.name),
      ...this.namedBuffers().map((b) => b.name),
    ]);
    if (strict) {
      const unknown = Object.keys(state).filter((k) => !known.has(k));
      if (unknown.length) throw new Error(`Unexpected keys in state dict: ${unknown.join(", ")}`);
    }
    for (const p of params) {
      const value = state[p.name];
      if (!value) throw new Error(`Missing key in state dict: ${p.name}`);
      const loaded = fromReference(p.name, value, p.variable.shape, p.layout);
      p.variable.assign(loaded);
      loaded.dispose();
    }
  }
}

/** Converts one of our variables to the reference layout on the host. */
export async function toReference(t: tf.Tensor, layout: Layout): Promise<HostTensor> {
  const perm = TO_REFERENCE[layout];
  const ref = tf.tidy(() => {
    if (perm) return tf.transpose(t, perm);
    if (layout === "channel") return tf.reshape(t, [1, t.size, 1, 1]);
    return t.clone();
  });
  const data = await ref.data() as Float32Array;
  const shape = ref.shape;
  ref.dispose();
  return { shape, data: new Float32Array(data) };
}

/** Converts a reference-layout host tensor to a tensor in our layout of shape `ours`. */
export function fromReference(
  name: string,
  value: HostTensor,
  ours: number[],
  layout: Layout,
): tf.Tensor {
  const perm = TO_REFERENCE[layout];
  const expected = perm
    ? perm.map((axis) => ours[axis])
    : layout === "channel"
    ? [1, ours[0], 1, 1]
    : ours;
  if (value.shape.length !== expected.length || value.shape.some((d, i) => d !== expected[i])) {
    throw new Error(
      `Shape mismatch for ${name}: file has [${value.shape}], model expects [${expected}]`,
    );
  }
  return tf.tidy(() => {
    const t = tf.tensor(value.data, value.shape);
    if (!perm) return tf.reshape(t, ours);
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return tf.transpose(t, inverse);
  });
}
