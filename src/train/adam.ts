/**
 * Adam (Kingma & Ba 2015) exactly as `torch.optim.Adam` computes it, over named parameters with a
 * per-parameter learning-rate multiplier (the reference trains the mapping network at 0.01 x lr).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { fromReference, type NamedParameter, toReference } from "../layers/module.ts";
import type { AdamState, StateDict } from "../types.ts";

/** Options of {@linkcode Adam}. */
export interface AdamOptions {
  /** Base learning rate. */
  lr: number;
  /** Exponential decay of the first moment (the reference: 0). */
  beta1?: number;
  /** Exponential decay of the second moment (the reference: 0.99). */
  beta2?: number;
  /** Added to the denominator (1e-8). */
  eps?: number;
  /** Learning-rate multiplier per parameter name (default 1). */
  lrMultiplier?: (name: string) => number;
}

/**
 * Adam over a model's named parameters; moments live on the backend in our layouts and are saved
 * in the reference's layouts.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Adam } from "./adam.ts";
 * import { EqualLinear } from "../layers/equalized.ts";
 * import { Initializer } from "../layers/init.ts";
 * const fc = new EqualLinear({ inDim: 4, outDim: 2, init: new Initializer(0) });
 * const adam = new Adam(fc.namedParameters(), { lr: 1e-3, beta1: 0, beta2: 0.99 });
 * const { grads } = tf.variableGrads(() => tf.sum(fc.apply(tf.ones([1, 4]))), fc.variables());
 * adam.update(grads);
 * ```
 */
export class Adam {
  /** Base learning rate; change it between steps for a schedule. */
  lr: number;
  /** Steps taken. */
  step = 0;
  readonly #params: NamedParameter[];
  readonly #m: tf.Variable[];
  readonly #v: tf.Variable[];
  readonly #mult: number[];
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #eps: number;

  /** Zero moments for every parameter. */
  constructor(params: NamedParameter[], options: AdamOptions) {
    const { lr, beta1 = 0, beta2 = 0.99, eps = 1e-8, lrMultiplier = () => 1 } = options;
    this.lr = lr;
    this.#params = params;
    this.#m = params.map((p) => tf.variable(tf.zerosLike(p.variable), false));
    this.#v = params.map((p) => tf.variable(tf.zerosLike(p.variable), false));
    this.#mult = params.map((p) => lrMultiplier(p.name));
    this.#beta1 = beta1;
    this.#beta2 = beta2;
    this.#eps = eps;
  }

  /**
   * One step from gradients keyed by variable name (as `tf.variableGrads` returns them). A
   * parameter without a gradient keeps its value and moments, like a torch parameter whose
   * `.grad` is None.
   */
  update(grads: tf.NamedTensorMap): void {
    this.step++;
    const t = this.step;
    const bias1 = 1 - this.#beta1 ** t;
    const bias2Sqrt = Math.sqrt(1 - this.#beta2 ** t);
    tf.tidy(() => {
      this.#params.forEach((p, i) => {
        const g = grads[p.variable.name];
        if (!g) return;
        const m = tf.add(tf.mul(this.#m[i], this.#beta1), tf.mul(g, 1 - this.#beta1));
        const v = tf.add(tf.mul(this.#v[i], this.#beta2), tf.mul(tf.square(g), 1 - this.#beta2));
        const stepSize = (this.lr * this.#mult[i]) / bias1;
        const denom = tf.add(tf.div(tf.sqrt(v), bias2Sqrt), this.#eps);
        p.variable.assign(tf.sub(p.variable, tf.mul(tf.div(m, denom), stepSize)));
        this.#m[i].assign(m);
        this.#v[i].assign(v);
      });
    });
  }

  /** Moments in the reference's naming and layouts. */
  async state(): Promise<AdamState> {
    const m: StateDict = {};
    const v: StateDict = {};
    for (const [i, p] of this.#params.entries()) {
      m[p.name] = await toReference(this.#m[i], p.layout);
      v[p.name] = await toReference(this.#v[i], p.layout);
    }
    return { step: this.step, m, v };
  }

  /** Restores moments saved by `state()` or imported from a reference checkpoint. */
  load(state: AdamState): void {
    this.step = state.step;
    this.#params.forEach((p, i) => {
      for (const [moments, saved] of [[this.#m, state.m], [this.#v, state.v]] as const) {
        const value = saved[p.name];
        if (!value) throw new Error(`Optimizer state has no moments for ${p.name}`);
        const t = fromReference(p.name, value, p.variable.shape, p.layout);
        moments[i].assign(t);
        t.dispose();
      }
    });
  }

  /** Frees the moments. */
  dispose(): void {
    tf.dispose([...this.#m, ...this.#v]);
  }
}
