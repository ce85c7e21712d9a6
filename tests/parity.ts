/**
 * Parity runner: replays every case of a reference vector directory's `manifest.json` on our
 * models and prints one line per case, `<case> err=<e> tol=<t> <PASS|FAIL>`.
 *
 * ```sh
 * deno run -A tests/parity.ts ../shared/parity [--backend wasm] [--verbose]
 * ```
 *
 * Errors: outputs `max|a-b| / max(1, max|b|)` (tol 1e-4); gradients per tensor
 * `max|a-b| / max|b|` (tol 1e-3), and a zero reference gradient must come out exactly zero.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { initBackend } from "../src/backend.ts";
import type { StyleGANConfig } from "../src/config.ts";
import { readSafetensors } from "../src/io/safetensors.ts";
import { Discriminator } from "../src/models/discriminator.ts";
import { StyledGenerator } from "../src/models/generator.ts";
import { toReference } from "../src/layers/module.ts";
import { Trainer } from "../src/train/trainer.ts";
import type { HostTensor, StateDict } from "../src/types.ts";

/** One manifest case's outcome. */
export interface CaseResult {
  name: string;
  err: number;
  tol: number;
  pass: boolean;
  detail?: string;
}

const OUTPUT_TOL = 1e-4;
const GRAD_TOL = 1e-3;

// deno-lint-ignore no-explicit-any
type Manifest = { config: Record<string, any>; cases: Record<string, any>[] };

/** The manifest's snake_case config as ours. */
export function configFromManifest(c: Manifest["config"]): StyleGANConfig {
  return {
    gChannels: c.g_channels,
    gFused: c.g_fused,
    dChannels: c.d_channels,
    dFused: c.d_fused,
    styleDim: c.style_dim,
    nMlp: c.n_mlp,
    fromRgbActivate: c.from_rgb_activate,
  };
}

/** Vectors of one directory: manifest, tensors and freshly loaded models. */
export class ParityVectors {
  constructor(
    readonly manifest: Manifest,
    readonly tensors: StateDict,
    readonly config: StyleGANConfig,
  ) {}

  /** Reads `manifest.json` and `parity.safetensors` of `dir`. */
  static async open(dir: string): Promise<ParityVectors> {
    const manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json"))) as Manifest;
    const { tensors } = readSafetensors(await Deno.readFile(join(dir, "parity.safetensors")));
    return new ParityVectors(manifest, tensors, configFromManifest(manifest.config));
  }

  /** Tensors under `prefix/`, with the prefix stripped. */
  group(prefix: string): StateDict {
    const out: StateDict = {};
    for (const [k, v] of Object.entries(this.tensors)) {
      if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    }
    return out;
  }

  /** A tensor by key, failing clearly when the file lacks it. */
  get(key: string): HostTensor {
    const t = this.tensors[key];
    if (!t) throw new Error(`parity.safetensors has no tensor "${key}"`);
    return t;
  }

  /** NCHW host tensor -> NHWC tfjs tensor. */
  nhwc(key: string): tf.Tensor4D {
    const t = this.get(key);
    return tf.tidy(() =>
      tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), [0, 2, 3, 1])
    );
  }

  /** A [N, D] tensor. */
  matrix(key: string): tf.Tensor2D {
    const t = this.get(key);
    return tf.tensor2d(t.data, t.shape as [number, number]);
  }

  /** Noise maps of levels 0..step, NHWC. */
  noise(step: number): tf.Tensor4D[] {
    return Array.from({ length: step + 1 }, (_, i) => this.nhwc(`in/noise${i}`));
  }

  /** Models holding the initial weights `G/`, `D/`. */
  models(): { g: StyledGenerator; d: Discriminator } {
    const g = new StyledGenerator({ config: this.config });
    g.loadStateDict(this.group("G/"));
    const d = new Discriminator({ config: this.config });
    d.loadStateDict(this.group("D/"));
    return { g, d };
  }
}

/** `max|a-b| / max(1, max|b|)`. */
export function outputError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return a.length === b.length ? diff / scale : Infinity;
}

/** `max|a-b| / max|b|`; for an all-zero reference, 0 if `a` is exactly zero too, else Infinity. */
export function gradientError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  if (a.length !== b.length) return Infinity;
  if (scale === 0) return diff === 0 ? 0 : Infinity;
  return diff / scale;
}

async function compareOutput(name: string, ours: tf.Tensor, ref: HostTensor): Promise<CaseResult> {
  // Reference images are NCHW; ours NHWC.
  const t = ours.rank === 4 ? tf.transpose(ours, [0, 3, 1, 2]) : ours.clone();
  const data = await t.data();
  t.dispose();
  const shapeOk = t.shape.length === ref.shape.length &&
    t.shape.every((d, i) => d === ref.shape[i]);
  const err = shapeOk ? outputError(data, ref.data) : Infinity;
  return {
    name,
    err,
    tol: OUTPUT_TOL,
    pass: err <= OUTPUT_TOL,
    detail: shapeOk ? undefined : `shape [${t.shape}] vs [${ref.shape}]`,
  };
}

/** Runs every supported case of `vectors`; `onResult` sees each as it finishes. */
export async function runParity(
  vectors: ParityVectors,
  onResult: (r: CaseResult) => void = () => {},
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const report = (r: CaseResult) => {
    results.push(r);
    onResult(r);
  };
  const { g, d } = vectors.models();
  const z = vectors.matrix("in/z");
  const z2 = vectors.matrix("in/z2");
  try {
    const meanStyle = vectors.tensors["out/mean_style"]
      ? vectors.matrix("out/mean_style")
      : undefined;
    if (meanStyle) {
      const ours = g.meanStyle(tf.concat([z, z2]) as tf.Tensor2D);
      report(await compareOutput("mean_style", ours, vectors.get("out/mean_style")));
      ours.dispose();
    }
    for (const c of vectors.manifest.cases) {
      const r = await runCase(vectors, c, { g, d, z, z2, meanStyle });
      if (Array.isArray(r)) r.forEach(report);
      else if (r) report(r);
    }
    meanStyle?.dispose();
  } finally {
    z.dispose();
    z2.dispose();
    g.variables().forEach((v) => v.dispose());
    d.variables().forEach((v) => v.dispose());
  }
  return results;
}

interface Context {
  g: StyledGenerator;
  d: Discriminator;
  z: tf.Tensor2D;
  z2: tf.Tensor2D;
  meanStyle?: tf.Tensor2D;
}

async function runCase(
  v: ParityVectors,
  // deno-lint-ignore no-explicit-any
  c: Record<string, any>,
  ctx: Context,
): Promise<CaseResult | CaseResult[] | undefined> {
  const { g, d } = ctx;
  const name = `${c.kind} ${c.out ?? c.loss ?? ""}`.trim();
  switch (c.kind) {
    case "mapping": {
      const out = tf.tidy(() => g.mapping.apply(v.matrix(c.z)));
      const r = await compareOutput(name, out, v.get(c.out));
      out.dispose();
      return r;
    }
    case "generator": {
      const out = tf.tidy(() => {
        const zs = (c.z as string[]).map((k) => v.matrix(k));
        return g.apply(zs, {
          step: c.step,
          alpha: c.alpha,
          noise: v.noise(c.step),
          mixingRange: c.mixing_range,
          meanStyle: c.mean_style ? v.matrix(c.mean_style) : undefined,
          styleWeight: c.style_weight,
        });
      });
      const r = await compareOutput(name, out, v.get(c.out));
      out.dispose();
      return r;
    }
    case "discriminator": {
      const out = tf.tidy(() => d.apply(v.nhwc(c.x), { step: c.step, alpha: c.alpha }));
      const r = await compareOutput(name, out, v.get(c.out));
      out.dispose();
      return r;
    }
    case "d_input_grad": {
      const grad = tf.tidy(() => {
        const x = v.nhwc(c.x);
        return tf.grad((xi: tf.Tensor) =>
          tf.sum(d.apply(xi as tf.Tensor4D, { step: c.step, alpha: c.alpha }))
        )(x);
      });
      const ours = tf.transpose(grad, [0, 3, 1, 2]);
      const err = gradientError(await ours.data(), v.get(c.out).data);
      tf.dispose([grad, ours]);
      return { name, err, tol: GRAD_TOL, pass: err <= GRAD_TOL };
    }
    case "g_grad": {
      const params = g.namedParameters();
      const { value, grads } = tf.variableGrads(() => {
        const images = g.apply(ctx.z, { step: c.step, alpha: c.alpha, noise: v.noise(c.step) });
        return tf.mean(tf.softplus(tf.neg(d.apply(images, { step: c.step, alpha: c.alpha }))));
      }, params.map((p) => p.variable));
      const results: CaseResult[] = [];
      const loss = await value.data();
      const lossErr = outputError(loss, v.get(c.loss).data);
      results.push({
        name: `g_grad ${c.loss}`,
        err: lossErr,
        tol: OUTPUT_TOL,
        pass: lossErr <= OUTPUT_TOL,
      });
      let worst: CaseResult = { name: "g_grad grad_g/*", err: 0, tol: GRAD_TOL, pass: true };
      for (const p of params) {
        const ref = v.get(`${c.grads}${p.name}`);
        // tfjs leaves out variables the loss does not reach (to_rgb of lower levels): zero.
        const gradient = grads[p.variable.name] ?? tf.zerosLike(p.variable);
        const ours = await toReference(gradient, p.layout);
        if (!grads[p.variable.name]) gradient.dispose();
        const err = gradientError(ours.data, ref.data);
        if (!(err <= worst.err) || Number.isNaN(err)) {
          worst = {
            name: "g_grad grad_g/*",
            err,
            tol: GRAD_TOL,
            pass: err <= GRAD_TOL,
            detail: `worst ${p.name}`,
          };
        }
      }
      tf.dispose([value, ...Object.values(grads)]);
      results.push(worst);
      return results;
    }
    case "train_iter":
      return await trainIteration(v, c);
    default:
      throw new Error(`Unknown parity case kind "${c.kind}"`);
  }
}

/** Share of elements whose update may differ from the reference's by more than the tolerance. */
const TRAIN_QUANTILE = 0.9999;
const TRAIN_TOL = 1e-2;

/**
 * One reference training iteration (D step, G step, EMA) from `G/`, `D/`, `Gema/`. Adam's first
 * step is about `lr * sign(g)`, so an element whose true gradient is near zero may flip: compare
 * updates `after - before` in units of lr, and require 99.99% of each model's elements within 1e-2.
 * `err` is that 99.99th percentile, over the worst model.
 */
// deno-lint-ignore no-explicit-any
async function trainIteration(v: ParityVectors, c: Record<string, any>): Promise<CaseResult> {
  const levels = v.config.gChannels.length;
  const size = 4 * 2 ** c.step;
  const trainer = new Trainer({
    config: v.config,
    options: {
      loss: c.loss,
      lr: c.lr,
      emaDecay: c.ema_decay,
      mixing: false,
      initSize: size,
      maxSize: size,
    },
  });
  trainer.g.loadStateDict(v.group("G/"));
  trainer.d.loadStateDict(v.group("D/"));
  trainer.gEma.loadStateDict(v.group("Gema/"));
  const inputs = tf.tidy(() => ({
    real: v.nhwc(c.real),
    zD: v.matrix(c.z_d),
    zG: v.matrix(c.z_g),
    noise: v.noise(levels - 1),
    eps: v.nhwc(c.eps),
  }));
  await trainer.step({ ...inputs, step: c.step, alpha: c.alpha });
  tf.dispose([inputs.real, inputs.zD, inputs.zG, inputs.eps, ...inputs.noise]);
  let err = 0;
  const details: string[] = [];
  for (
    const [prefix, model] of [["G/", trainer.g], ["D/", trainer.d], [
      "Gema/",
      trainer.gEma,
    ]] as const
  ) {
    const ours = await model.stateDict();
    const deviations: number[] = [];
    for (const p of model.namedParameters()) {
      const before = v.get(prefix + p.name).data;
      const after = v.get(`${c.out}${prefix}${p.name}`).data;
      const mine = ours[p.name].data;
      for (let i = 0; i < before.length; i++) {
        deviations.push(Math.abs((mine[i] - before[i]) - (after[i] - before[i])) / c.lr);
      }
    }
    deviations.sort((a, b) => a - b);
    const quantile =
      deviations[Math.min(deviations.length - 1, Math.floor(TRAIN_QUANTILE * deviations.length))];
    const outside = deviations.length - deviations.findIndex((d) => d > TRAIN_TOL);
    const worst = deviations[deviations.length - 1];
    err = Math.max(err, quantile);
    const count = deviations[deviations.length - 1] > TRAIN_TOL ? outside : 0;
    details.push(
      `${prefix.slice(0, -1)} worst ${worst.toExponential(1)}, ${count}/${deviations.length} over`,
    );
  }
  trainer.dispose();
  return {
    name: `train_iter ${c.loss}`,
    err,
    tol: TRAIN_TOL,
    pass: err <= TRAIN_TOL,
    detail: details.join("; "),
  };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { backend: { type: "string", default: "auto" }, help: { type: "boolean" } },
  });
  if (values.help || positionals.length !== 1) {
    console.log(
      "Usage: deno run -A tests/parity.ts <vectors-dir> [--backend auto|webgpu|wasm|cpu]",
    );
    Deno.exit(values.help ? 0 : 2);
  }
  const info = await initBackend({ backend: values.backend as "auto" });
  console.error(`backend: ${info.name} (${info.reason})`);
  const vectors = await ParityVectors.open(positionals[0]);
  const results = await runParity(vectors, (r) => {
    const detail = r.detail ? `  (${r.detail})` : "";
    console.log(
      `${r.name} err=${r.err.toExponential(2)} tol=${r.tol} ${r.pass ? "PASS" : "FAIL"}${detail}`,
    );
  });
  Deno.exit(results.every((r) => r.pass) ? 0 : 1);
}
