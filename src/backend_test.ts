import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { initBackend } from "./backend.ts";
import { readSafetensors } from "./io/safetensors.ts";

const PARITY = new URL("../../shared/parity/parity.safetensors", import.meta.url);

/** Host copies (NHWC / HWIO) of the reference's real images and two of its conv weights. */
async function parityInputs(): Promise<
  { real: Float32Array; fromRgb: Float32Array; conv: Float32Array }
> {
  await initBackend({ backend: "cpu" });
  const { tensors } = readSafetensors(await Deno.readFile(PARITY), { name: PARITY.pathname });
  const host = async (name: string, perm: number[]) => {
    const nhwc = tf.tidy(() =>
      tf.transpose(tf.tensor(tensors[name].data, tensors[name].shape), perm)
    );
    const data = await nhwc.data() as Float32Array;
    nhwc.dispose();
    return data;
  };
  return {
    real: await host("in/real", [0, 2, 3, 1]), // [4, 3, 32, 32] NCHW -> NHWC
    fromRgb: await host("D/from_rgb.0.0.conv.weight_orig", [2, 3, 1, 0]), // [16, 3, 1, 1] -> HWIO
    conv: await host("G/generator.progression.3.conv2.conv.weight_orig", [2, 3, 1, 0]), // [16, 16, 3, 3]
  };
}

const inputs = await parityInputs();

/** from_rgb (1x1, 3 -> 16) + LeakyReLU + 3x3 conv (16 -> 16) on the real images, read back. */
async function tinyNet(): Promise<Float32Array> {
  const before = tf.memory().numTensors;
  const y = tf.tidy(() => {
    const x = tf.tensor4d(inputs.real, [4, 32, 32, 3]);
    const h = tf.leakyRelu(
      tf.conv2d(x, tf.tensor4d(inputs.fromRgb, [1, 1, 3, 16]), 1, "same"),
      0.2,
    );
    return tf.conv2d(h, tf.tensor4d(inputs.conv, [3, 3, 16, 16]), 1, "same");
  });
  const data = await y.data() as Float32Array; // dataSync() throws on WebGPU under Deno
  y.dispose();
  assert.equal(tf.memory().numTensors, before);
  return data;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

async function adapterInfo(): Promise<{ isFallbackAdapter?: boolean } | undefined> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info: object } | null> } }).gpu;
  return (await gpu?.requestAdapter())?.info;
}

const adapter = await adapterInfo();
const cores = Math.min(navigator.hardwareConcurrency, 8);

Deno.test("auto picks hardware WebGPU, else wasm on every core, and says why", async () => {
  const info = await initBackend();
  assert.equal(tf.getBackend(), info.name);
  if (adapter !== undefined && !adapter.isFallbackAdapter) {
    assert.equal(info.name, "webgpu");
    assert.match(info.reason, /hardware WebGPU adapter/);
    return;
  }
  assert.equal(info.name, "wasm");
  assert.equal(info.threads, cores);
  assert.equal(getThreadsCount(), cores);
  assert.doesNotMatch(info.reason, /WARNING/);
  assert.match(
    info.reason,
    adapter === undefined
      ? /WebGPU/
      : /^only a software WebGPU adapter \(.+\); wasm with \d+ threads? is faster$/,
  );
});

Deno.test("wasm runs 2 threads and matches single-threaded wasm", async () => {
  const { Worker } = globalThis;
  const threaded = await initBackend({ backend: "wasm", threads: 2 });
  assert.equal(globalThis.Worker, Worker, "the Worker shim was left in place");
  assert.deepEqual(threaded, {
    name: "wasm",
    reason: "wasm requested; wasm with 2 threads",
    threads: 2,
  });
  assert.equal(getThreadsCount(), 2);
  const y2 = await tinyNet();

  const single = await initBackend({ backend: "wasm", threads: 1 });
  assert.equal(single.threads, 1);
  assert.equal(getThreadsCount(), 1);
  const y1 = await tinyNet();
  assert.ok(maxAbsDiff(y1, y2) <= 1e-6, `max |diff| ${maxAbsDiff(y1, y2)}`);
  assert.ok(y1.some((v) => v !== 0));
});

Deno.test("a broken pthread shim falls back to single-threaded wasm and says so", async () => {
  await initBackend({ backend: "wasm", threads: 1 });
  const process = (globalThis as unknown as { process: { getBuiltinModule(id: string): unknown } })
    .process;
  const { getBuiltinModule } = process;
  // As if a tfjs upgrade changed how pthread workers start: creating one fails.
  const Worker = class {
    constructor() {
      throw new Error("no pthread workers in this test");
    }
  };
  process.getBuiltinModule = (id) =>
    id === "worker_threads" ? { Worker } : getBuiltinModule.call(process, id);
  try {
    const info = await initBackend({ backend: "wasm", threads: 2 });
    assert.equal(info.threads, 1);
    assert.match(
      info.reason,
      /WARNING: multithreaded wasm failed \(.+\); wasm runs single-threaded/,
    );
    assert.equal(getThreadsCount(), 1);
  } finally {
    process.getBuiltinModule = getBuiltinModule;
  }
  assert.ok((await tinyNet()).some((v) => v !== 0));
});

Deno.test("cpu and webgpu agree with wasm on a tiny net", async () => {
  await initBackend({ backend: "wasm" });
  const wasm = await tinyNet();
  assert.deepEqual(await initBackend({ backend: "cpu" }), { name: "cpu", reason: "cpu requested" });
  const cpu = await tinyNet();
  assert.ok(maxAbsDiff(cpu, wasm) < 1e-4, `cpu vs wasm ${maxAbsDiff(cpu, wasm)}`);
  if (adapter === undefined) return; // no WebGPU here: nothing more to compare
  const webgpu = await initBackend({ backend: "webgpu" });
  assert.equal(webgpu.name, "webgpu");
  assert.equal(tf.getBackend(), "webgpu");
  assert.ok(webgpu.adapter);
  const gpu = await tinyNet();
  assert.ok(maxAbsDiff(gpu, wasm) < 1e-4, `webgpu vs wasm ${maxAbsDiff(gpu, wasm)}`);
});

Deno.test("bad options are refused", async () => {
  await assert.rejects(initBackend({ threads: 0 }), /Invalid threads 0/);
  await assert.rejects(initBackend({ threads: 1.5 }), /Invalid threads 1.5/);
  // @ts-expect-error: not a backend
  await assert.rejects(initBackend({ backend: "webgl" }), /Unknown backend "webgl"/);
});

Deno.test("a program on threaded wasm exits when it ends", async () => {
  const code = `
    import * as tf from "@tensorflow/tfjs";
    import { initBackend } from "${new URL("./backend.ts", import.meta.url).href}";
    const info = await initBackend({ backend: "wasm", threads: 2 });
    const y = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]));
    console.log(info.threads, (await y.data())[0]);`;
  const { code: exitCode, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", fileURLToPath(new URL("../deno.json", import.meta.url)), code],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000), // a program kept alive by its workers would hang here
  }).output();
  assert.equal(exitCode, 0, new TextDecoder().decode(stderr));
  assert.equal(new TextDecoder().decode(stdout).trim(), "2 64");
});
