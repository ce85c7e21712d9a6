/**
 * The R1 and WGAN-GP penalties differentiate a gradient, so every discriminator layer must be
 * twice differentiable on every backend.
 *
 * 1. Per layer: d/dθ ||∇x Σ r ⊙ L(x; θ)²||² against central finite differences. Squaring the
 *    output makes ∇x depend on θ, and without LeakyReLU's kinks the function is smooth, so the
 *    difference quotient converges (through a kink, ∇x jumps and no step size works).
 * 2. The whole discriminator: the gradient of the reference's R1 loss (softplus losses +
 *    5 ||∇x D(real)||², which crosses every LeakyReLU) must point the way the PyTorch reference's
 *    first Adam step moved each parameter (`train_r1/D/` - `D/` = -lr * sign(g)).
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../src/backend.ts";
import { MinibatchStdDev } from "../src/layers/discriminator.ts";
import { EqualConv2d, EqualLinear } from "../src/layers/equalized.ts";
import { Initializer } from "../src/layers/init.ts";
import type { Module } from "../src/layers/module.ts";
import { toReference } from "../src/layers/module.ts";
import { Blur, FusedDownsample } from "../src/layers/resample.ts";
import { avgPool2x } from "../src/ops/resample.ts";
import { ParityVectors } from "./parity.ts";

const VECTORS = new URL("../../shared/parity/", import.meta.url).pathname;
const BACKENDS = ["cpu", "wasm", "webgpu"] as const;

async function scalar(f: () => tf.Scalar): Promise<number> {
  const t = tf.tidy(f);
  const value = (await t.data())[0];
  t.dispose();
  return value;
}

/** Analytic and numeric directional derivative of `f` along a random direction of `vars`. */
async function directional(f: () => tf.Scalar, vars: tf.Variable[], seed: number, h = 1e-2) {
  const dirs = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, "float32", seed + i));
  const { value, grads } = tf.variableGrads(f, vars);
  const analytic = await scalar(() =>
    tf.addN(vars.map((v, i) => tf.sum(tf.mul(grads[v.name], dirs[i]))))
  );
  tf.dispose([value, ...Object.values(grads)]);
  const originals = vars.map((v) => v.clone());
  const shifted = (step: number) => {
    vars.forEach((v, i) => {
      const moved = tf.tidy(() => tf.add(originals[i], tf.mul(dirs[i], step)));
      v.assign(moved);
      moved.dispose();
    });
    return scalar(f);
  };
  const central = async (step: number) => (await shifted(step) - await shifted(-step)) / (2 * step);
  // Richardson extrapolation of two central differences: the O(h^2) truncation error cancels.
  const numeric = (4 * await central(h / 2) - await central(h)) / 3;
  vars.forEach((v, i) => v.assign(originals[i]));
  tf.dispose([...dirs, ...originals]);
  return { analytic, numeric };
}

for (const backend of BACKENDS) {
  Deno.test(`every D layer is twice differentiable on ${backend} (finite differences)`, async () => {
    await initBackend({ backend });
    const init = new Initializer(7);
    const x = tf.randomNormal([4, 8, 8, 6], 0, 1, "float32", 3) as tf.Tensor4D;
    const conv = new EqualConv2d({ inChannels: 6, outChannels: 5, kernel: 3, padding: 1, init });
    const fused = new FusedDownsample({
      inChannels: 6,
      outChannels: 5,
      kernel: 3,
      padding: 1,
      init,
    });
    const blur = new Blur({ channels: 6 });
    const fromRgb = new EqualConv2d({ inChannels: 6, outChannels: 4, kernel: 1, init });
    const stddev = new MinibatchStdDev();
    const linear = new EqualLinear({ inDim: 6 * 16, outDim: 3, init });
    const cases: [string, Module, (x: tf.Tensor4D) => tf.Tensor][] = [
      ["EqualConv2d 3x3", conv, (t) => conv.apply(t)],
      ["Blur + FusedDownsample", fused, (t) => fused.apply(blur.apply(t))],
      ["Blur + EqualConv2d + avg pool", conv, (t) => avgPool2x(conv.apply(blur.apply(t)))],
      [
        "MinibatchStdDev + 1x1 conv",
        fromRgb,
        (t) => fromRgb.apply(stddev.apply(t).slice([0, 0, 0, 1], [4, 8, 8, 6])),
      ],
      [
        "avg pool + EqualLinear",
        linear,
        (t) => linear.apply(tf.reshape(avgPool2x(t), [4, 96]) as tf.Tensor2D),
      ],
    ];
    const before = tf.memory().numTensors;
    const failures: string[] = [];
    for (const [i, [name, module, layer]] of cases.entries()) {
      const r = tf.tidy(() => tf.randomNormal(layer(x).shape, 0, 1, "float32", 50 + i));
      const f = () => {
        const gx = tf.grad((xi: tf.Tensor) =>
          tf.sum(tf.mul(r, tf.square(layer(xi as tf.Tensor4D))))
        )(x);
        return tf.sum(tf.square(gx)) as tf.Scalar;
      };
      const { analytic, numeric } = await directional(f, module.variables(), 100 * i);
      r.dispose();
      const err = Math.abs(numeric - analytic) / Math.abs(analytic);
      if (!(err < 2e-3)) {
        failures.push(`${name}: analytic ${analytic} numeric ${numeric} err ${err}`);
      }
    }
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    assert(failures.length === 0, failures.join("\n"));
    for (const m of [conv, fused, fromRgb, linear]) m.variables().forEach((v) => v.dispose());
    x.dispose();
  });

  Deno.test(`the R1 gradient through the whole D agrees with the reference on ${backend}`, async () => {
    await initBackend({ backend });
    const v = await ParityVectors.open(VECTORS);
    const { g, d } = v.models();
    const opts = { step: 3, alpha: 0.25 };
    const real = v.nhwc("in/real");
    const fake = tf.tidy(() => g.apply(v.matrix("in/z"), { ...opts, noise: v.noise(3) }));
    const params = d.namedParameters();
    const { value, grads } = tf.variableGrads(() => {
      const realLoss = tf.mean(tf.softplus(tf.neg(d.apply(real, opts))));
      const gx = tf.grad((x: tf.Tensor) => tf.sum(d.apply(x as tf.Tensor4D, opts)))(real);
      const penalty = tf.mul(5, tf.mean(tf.sum(tf.square(gx), [1, 2, 3])));
      return tf.addN([realLoss, penalty, tf.mean(tf.softplus(d.apply(fake, opts)))]) as tf.Scalar;
    }, params.map((p) => p.variable));
    let agree = 0;
    let total = 0;
    for (const p of params) {
      if (!grads[p.variable.name]) continue; // from_rgb of levels this step does not reach
      const ours = await toReference(grads[p.variable.name], p.layout);
      const before = v.get(`D/${p.name}`).data;
      const after = v.get(`train_r1/D/${p.name}`).data;
      for (let i = 0; i < ours.data.length; i++) {
        if (Math.sign(after[i] - before[i]) === -Math.sign(ours.data[i])) agree++;
      }
      total += ours.data.length;
    }
    tf.dispose([value, real, fake, ...Object.values(grads)]);
    [...g.variables(), ...d.variables()].forEach((t) => t.dispose());
    assert(total > 60_000);
    assert(agree / total >= 0.9999, `${total - agree} of ${total} parameters moved the other way`);
  });
}
