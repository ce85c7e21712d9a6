/**
 * wasm conv2d throughput, single-threaded vs every core (the multithreading in src/backend.ts).
 *
 * The conv is a 32 px, 256-channel StyleGAN layer at batch 16: [16, 32, 32, 256] * [3, 3, 256, 256],
 * 'same' padding, 2 * 16 * 32 * 32 * 256 * 256 * 9 = 19.3 GFLOP per call; GFLOP/s = 19.3 / (s/iter).
 *
 * Run: deno bench -A bench/backend_bench.ts
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend.ts";

const X_SHAPE: [number, number, number, number] = [16, 32, 32, 256];
const W_SHAPE: [number, number, number, number] = [3, 3, 256, 256];

/** Deterministic uniform values in [-scale, scale) (a 32-bit LCG), so every run convolves the same data. */
function uniform(size: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32 * 2 - 1) * scale;
  }
  return out;
}

const x = uniform(X_SHAPE.reduce((a, b) => a * b), 1, 1);
const w = uniform(W_SHAPE.reduce((a, b) => a * b), 2, 1 / 48); // ~ He scale for fan-in 2304

const all = Math.min(navigator.hardwareConcurrency, 8); // tfjs wasm allows at most 8 threads
for (const threads of all > 1 ? [1, all] : [1]) {
  Deno.bench({
    name: `conv2d [16,32,32,256]*[3,3,256,256] wasm, ${threads} thread${threads > 1 ? "s" : ""}`,
    group: `wasm conv2d, threads=${threads}`,
    n: 10,
    warmup: 2,
    async fn(b) {
      // Restarts wasm only when the thread count changes (the first iteration of each bench).
      await initBackend({ backend: "wasm", threads });
      const input = tf.tensor4d(x, X_SHAPE);
      const filter = tf.tensor4d(w, W_SHAPE);
      b.start();
      const y = tf.conv2d(input, filter, 1, "same");
      await y.data();
      b.end();
      tf.dispose([input, filter, y]);
    },
  });
}
