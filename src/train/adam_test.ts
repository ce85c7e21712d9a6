import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../backend.ts";
import { EqualConv2d } from "../layers/equalized.ts";
import { Initializer } from "../layers/init.ts";
import { Adam } from "./adam.ts";

Deno.test("Adam follows torch.optim.Adam step by step, with per-parameter lr multipliers", async () => {
  await initBackend({ backend: "cpu" });
  const conv = new EqualConv2d({
    inChannels: 1,
    outChannels: 1,
    kernel: 1,
    init: new Initializer(0),
  });
  const params = conv.namedParameters();
  const adam = new Adam(params, {
    lr: 0.1,
    beta1: 0.5,
    beta2: 0.9,
    eps: 1e-8,
    lrMultiplier: (n) => (n.endsWith("bias") ? 0.5 : 1),
  });
  const w0 = (await conv.weight.data())[0];
  let [w, m, v] = [w0, 0, 0];
  for (const [t, g] of [[1, 0.3], [2, -0.2], [3, 0.7]]) {
    adam.update({ [conv.weight.name]: tf.tensor4d([g], [1, 1, 1, 1]) }); // bias: no gradient, unchanged
    m = 0.5 * m + 0.5 * g;
    v = 0.9 * v + 0.1 * g * g;
    w -= (0.1 / (1 - 0.5 ** t)) * m / (Math.sqrt(v) / Math.sqrt(1 - 0.9 ** t) + 1e-8);
    assert(Math.abs((await conv.weight.data())[0] - w) < 1e-6, `step ${t}`);
  }
  assert.equal((await conv.bias.data())[0], 0);
  const state = await adam.state();
  assert.equal(state.step, 3);
  assert(Math.abs(state.m["conv.weight_orig"].data[0] - m) < 1e-6);
});
