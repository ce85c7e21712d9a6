/**
 * Choosing and starting the tfjs backend: WebGPU on a hardware adapter, else wasm on every core,
 * else cpu.
 *
 * This file is longer than most because of one workaround. tfjs runs wasm single-threaded under
 * Deno and Node (`WASM_HAS_MULTITHREAD_SUPPORT` is false whenever `IS_NODE`), and forcing the flag
 * fails: the Emscripten glue then spawns its pthread pool with `new Worker(blobUrl)` from
 * `worker_threads`, which refuses blob URLs, and the worker script it would run takes Node paths
 * that the bundle cannot serve. {@linkcode startWasm} therefore, for the length of one
 * `setBackend("wasm")`, hands the glue a `Worker` that boots each pthread as a browser-style
 * worker (see {@linkcode pthreadBootstrap}), and reports enough cores that tfjs's
 * `min(threads, cores / 2)` cap lets the asked-for count through. `getThreadsCount()` then checks
 * the result; if anything differs it falls back to single-threaded wasm and says so in `reason`.
 *
 * In a browser none of this runs: tfjs starts its threaded build itself when the page is
 * cross-origin isolated.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import { getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";

/** A tfjs backend this library runs on. */
export type BackendName = "webgpu" | "wasm" | "cpu";

/** What {@linkcode initBackend} started, and why. */
export interface BackendInfo {
  /** The active tfjs backend. */
  name: BackendName;
  /** Why this backend (and thread count) was chosen, including any fallback warning. */
  reason: string;
  /** Threads in the wasm thread pool (wasm only). */
  threads?: number;
  /** The WebGPU adapter's description (webgpu only). */
  adapter?: string;
}

/** Options for {@linkcode initBackend}. */
export interface InitBackendOptions {
  /** `auto` (default): WebGPU on a hardware adapter, else wasm, else cpu. */
  backend?: "auto" | BackendName;
  /** wasm threads; defaults to `navigator.hardwareConcurrency` (every logical core). */
  threads?: number;
}

/**
 * Starts a tfjs backend and reports which one and why. Call it before building models; calling it
 * again switches backend (tfjs moves live tensors lazily). Changing the wasm thread count restarts
 * the wasm backend, so tensors that live on wasm at that moment become unusable.
 *
 * `auto` prefers a hardware WebGPU adapter. A software adapter (llvmpipe, SwiftShader) is skipped:
 * wasm was measured ~11x faster than llvmpipe WebGPU and ~20x faster than cpu on our model.
 *
 * @example Start the fastest backend and show the choice
 * ```ts
 * import { initBackend } from "./backend.ts";
 *
 * const info = await initBackend();
 * console.log(`${info.name}: ${info.reason}`);
 * ```
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const { backend = "auto" } = options;
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(
      `Invalid threads ${threads} in src/backend.ts initBackend: expected an integer >= 1`,
    );
  }
  if (backend === "cpu") {
    await startCpu();
    return { name: "cpu", reason: "cpu requested" };
  }
  if (backend === "wasm") return await startWasm(threads, "wasm requested");
  if (backend === "webgpu") {
    const probe = await probeWebGPU();
    if (probe.adapter === undefined) {
      throw new Error(`WebGPU requested in src/backend.ts initBackend, but ${probe.why}`);
    }
    await setBackendOrThrow("webgpu");
    const kind = probe.fallback ? "software" : "hardware";
    return { name: "webgpu", reason: `webgpu requested (${kind} adapter)`, adapter: probe.adapter };
  }
  if (backend !== "auto") {
    throw new Error(`Unknown backend "${backend}" in src/backend.ts initBackend`);
  }

  const probe = await probeWebGPU();
  if (probe.adapter !== undefined && !probe.fallback && await tf.setBackend("webgpu")) {
    return {
      name: "webgpu",
      reason: `hardware WebGPU adapter (${probe.adapter})`,
      adapter: probe.adapter,
    };
  }
  const why = probe.adapter === undefined
    ? probe.why
    : probe.fallback
    ? `only a software WebGPU adapter (${probe.adapter})`
    : `the WebGPU adapter (${probe.adapter}) failed to start`;
  try {
    return await startWasm(threads, why, probe.fallback ? " is faster" : "");
  } catch (error) {
    await startCpu();
    return { name: "cpu", reason: `${why}; wasm failed to start (${message(error)}); cpu is left` };
  }
}

async function startCpu(): Promise<void> {
  await setBackendOrThrow("cpu");
  // Its first tensor would print "install tfjs-node to speed things up" under Deno; not for us.
  const cpu = tf.findBackend("cpu") as { firstUse?: boolean } | null;
  if (cpu?.firstUse) cpu.firstUse = false;
}

/** Every logical core, as the runtime reports it. */
function defaultThreads(): number {
  return Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
}

async function setBackendOrThrow(name: BackendName): Promise<void> {
  if (!await tf.setBackend(name)) {
    throw new Error(
      `The tfjs ${name} backend failed to start in src/backend.ts (see the warning above)`,
    );
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// WebGPU

interface WebGPUProbe {
  /** The adapter's description; undefined when there is none. */
  adapter?: string;
  /** A software adapter (llvmpipe, SwiftShader, WARP). */
  fallback: boolean;
  /** Why there is no adapter. */
  why: string;
}

interface GPUAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { description?: string; vendor?: string; device?: string; isFallbackAdapter?: boolean };
}

/** Asks for the adapter the tfjs webgpu backend will get (same power preference). */
async function probeWebGPU(): Promise<WebGPUProbe> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(o: object): Promise<unknown> } })
    ?.gpu;
  if (gpu === undefined) return { fallback: false, why: "this runtime has no WebGPU" };
  const powerPreference = tf.env().get("WEBGPU_USE_LOW_POWER_GPU")
    ? "low-power"
    : "high-performance";
  let adapter: GPUAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference }) as GPUAdapterLike | null;
  } catch (error) {
    return { fallback: false, why: `requesting a WebGPU adapter failed (${message(error)})` };
  }
  if (adapter == null) return { fallback: false, why: "there is no WebGPU adapter" };
  const info = adapter.info ?? {};
  return {
    adapter: info.description || info.vendor || info.device || "unnamed adapter",
    fallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
    why: "",
  };
}

// ---------------------------------------------------------------------------------------------
// wasm

/**
 * tfjs-backend-wasm 4.22 caps its XNNPACK thread pool at 8 (`max_num_threads` in backend.cc, the
 * number of pthread workers its build spawns up front).
 */
const MAX_WASM_THREADS = 8;

/** How long the threaded start may take before it counts as broken. */
const WASM_START_TIMEOUT_MS = 60_000;

/** The tfjs registration priority of wasm (as the package registers it). */
const WASM_PRIORITY = 2;

/** Starts wasm; the reason reads "`why`; wasm with N threads`tail`" plus any cap or warning. */
async function startWasm(requested: number, why: string, tail = ""): Promise<BackendInfo> {
  const threads = Math.min(requested, MAX_WASM_THREADS);
  const capped = threads < requested
    ? ` (${requested} asked, tfjs wasm allows at most ${MAX_WASM_THREADS})`
    : "";
  const node = nodeLikeProcess();
  if (node === undefined) {
    // Browser: tfjs picks the threaded build itself when SharedArrayBuffer is usable, and caps
    // the pool at navigator.hardwareConcurrency / 2; a started backend keeps its pool.
    if (tf.findBackend("wasm") == null) setThreadsCount(threads);
    await setBackendOrThrow("wasm");
    const actual = getThreadsCount();
    const note = actual === threads ? capped : ` (${requested} asked, tfjs allowed ${actual})`;
    const reason = `${why}; wasm with ${plural(actual)}${tail}${note}`;
    return { name: "wasm", reason, threads: actual };
  }

  if (tf.findBackend("wasm") != null && getThreadsCount() !== threads) restartWasm();
  if (threads === 1) {
    await startWasmSingleThreaded();
    return { name: "wasm", reason: `${why}; wasm with 1 thread${tail}`, threads: 1 };
  }
  if (tf.findBackend("wasm") == null) {
    const failure = await startWasmThreaded(node, threads);
    if (failure !== undefined) {
      const warning = `WARNING: multithreaded wasm failed (${failure}); wasm runs single-threaded`;
      console.warn(`src/backend.ts: ${warning}`);
      restartWasm();
      await startWasmSingleThreaded();
      return { name: "wasm", reason: `${why}; ${warning}`, threads: 1 };
    }
  }
  await setBackendOrThrow("wasm");
  return { name: "wasm", reason: `${why}; wasm with ${plural(threads)}${tail}${capped}`, threads };
}

function plural(threads: number): string {
  return threads === 1 ? "1 thread" : `${threads} threads`;
}

async function startWasmSingleThreaded(): Promise<void> {
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  setThreadsCount(1);
  await setBackendOrThrow("wasm");
}

/** Drops the wasm backend instance (and its workers) so the next start builds a new one. */
function restartWasm(): void {
  const factory = tf.findBackendFactory("wasm");
  tf.removeBackend("wasm");
  tf.registerBackend("wasm", factory, WASM_PRIORITY);
}

/**
 * Starts tfjs's threaded wasm build under Deno (or Node) with `threads` threads.
 * Returns undefined on success, else what went wrong (the caller then restarts wasm).
 */
async function startWasmThreaded(
  node: NodeLikeProcess,
  threads: number,
): Promise<string | undefined> {
  const { Worker: NodeWorker } = node.getBuiltinModule("worker_threads") as WorkerThreadsLike;
  const os = node.getBuiltinModule("os") as object;
  const workers: NodeWorkerLike[] = [];
  let reportShimError = (_error: string) => {};
  const shimFailed = new Promise<string>((resolve) => reportShimError = resolve);
  function PthreadWorker(url: string | URL): NodeWorkerLike {
    const source = `(${pthreadBootstrap.toString()})(${JSON.stringify(String(url))});`;
    let worker: NodeWorkerLike;
    try {
      worker = new NodeWorker(source, { eval: true });
    } catch (error) {
      reportShimError(`worker_threads refused the pthread worker (${message(error)})`);
      throw error;
    }
    worker.on("message", (data) => {
      const error = (data as { backendShimError?: string } | null)?.backendShimError;
      if (error !== undefined) reportShimError(error);
    });
    // pthreadpool threads never end: the glue's ref() when it starts one would keep the process
    // alive forever. Workers stay referenced until loaded (the glue unrefs them then).
    worker.ref = () => {};
    workers.push(worker);
    return worker;
  }

  const undo: (() => void)[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failure: string | undefined;
  try {
    // The glue runs `globalThis.Worker = require("worker_threads").Worker`, then `new Worker(url)`.
    undo.push(override(globalThis, "Worker", { get: () => PthreadWorker, set: () => {} }));
    // tfjs caps the pool at `os.cpus().length / 2` (it assumes two hyperthreads per core). Made-up
    // entries: reading the real ones needs Deno's --allow-sys.
    const cpu = { model: "", speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } };
    const cpus = Array(2 * threads).fill(cpu);
    undo.push(override(os, "cpus", { value: () => cpus, writable: true }));
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    setThreadsCount(threads);
    const timeout = new Promise<string>((resolve) => {
      const why = `no answer within ${WASM_START_TIMEOUT_MS / 1000} s`;
      timer = setTimeout(() => resolve(why), WASM_START_TIMEOUT_MS);
    });
    const started = tf.setBackend("wasm").then((ok) =>
      ok ? undefined : "setBackend failed, see the tfjs warning above"
    );
    failure = await Promise.race([started, shimFailed, timeout]);
  } catch (error) {
    failure = message(error);
  } finally {
    clearTimeout(timer);
    for (const restore of undo.reverse()) restore();
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false); // what tfjs itself says under Node
  }
  if (failure === undefined && workers.length < threads - 1) {
    failure = `the glue started ${workers.length} workers through the shim, ${threads - 1} needed`;
  }
  if (failure === undefined && getThreadsCount() !== threads) {
    failure = `getThreadsCount() is ${getThreadsCount()}, ${threads} asked`;
  }
  if (failure !== undefined) {
    for (const worker of workers) worker.terminate();
    return failure;
  }
  return undefined;
}

/** Redefines `object[key]` (configurable); returns what puts the original back. */
function override(object: object, key: string, descriptor: PropertyDescriptor): () => void {
  const original = Object.getOwnPropertyDescriptor(object, key);
  Object.defineProperty(object, key, { ...descriptor, configurable: true });
  return () => {
    if (original) Object.defineProperty(object, key, original);
    else delete (object as Record<string, unknown>)[key];
  };
}

interface NodeLikeProcess {
  versions: { node?: string };
  getBuiltinModule(id: string): unknown;
}

interface NodeWorkerLike {
  on(event: string, listener: (value: unknown) => void): unknown;
  ref(): void;
  terminate(): unknown;
}

interface WorkerThreadsLike {
  Worker: new (source: string, options: { eval: boolean }) => NodeWorkerLike;
}

/** `process` when tfjs will take its Node paths (Deno, Node), else undefined. */
function nodeLikeProcess(): NodeLikeProcess | undefined {
  const process = (globalThis as { process?: Partial<NodeLikeProcess> }).process;
  if (typeof process?.versions?.node !== "string") return undefined;
  if (typeof process.getBuiltinModule !== "function") return undefined;
  return process as NodeLikeProcess;
}

/**
 * Runs inside each pthread worker (a `worker_threads` worker, made from this function's source):
 * it turns the worker into the browser-style worker that Emscripten's worker script expects, then
 * runs that script from `workerScriptUrl` (the blob URL the glue meant to start).
 * - `process` is hidden, so the script and the glue take their web-worker paths;
 * - `self`, `postMessage` and `importScripts` exist; messages arrive as `self.onmessage({data})`;
 * - the glue's "load" message carries the main script as a Blob, which the worker script would load
 *   with a synchronous `importScripts(URL.createObjectURL(blob))`; here it is read first
 *   (asynchronously) and handed on as a key, with later messages queued meanwhile. Errors while the
 *   module starts count as failures of this shim.
 * Its own failures are posted as `{ backendShimError }` (the glue ignores messages without `cmd`)
 * rather than thrown: the glue rethrows worker errors on the main thread, ending the process.
 * It must not use anything from the enclosing module.
 */
function pthreadBootstrap(workerScriptUrl: string): void {
  type Message = { cmd?: string; urlOrBlob?: unknown } | null;
  const scope = globalThis as unknown as Record<string, unknown> & {
    onmessage?: (event: { data: Message }) => void;
  };
  const process = scope.process as { getBuiltinModule(id: string): unknown };
  const { parentPort } = process.getBuiltinModule("worker_threads") as {
    parentPort: {
      on(event: "message", listener: (data: Message) => void): void;
      postMessage(data: unknown, transfer?: unknown[]): void;
    };
  };
  const fail = (error: unknown) => {
    parentPort.postMessage({ backendShimError: `pthread worker: ${String(error)}` });
  };
  Object.defineProperty(scope, "process", { value: undefined, configurable: true, writable: true });
  const scripts = new Map<string, string>();
  Object.assign(scope, {
    self: scope,
    postMessage: (data: unknown, transfer?: unknown[]) => parentPort.postMessage(data, transfer),
    importScripts: (key: string) => {
      const source = scripts.get(key);
      if (source === undefined) throw new Error(`importScripts(${key}): no such script received`);
      (0, eval)(source);
    },
  });

  // Reads the main script that "load" names (a Blob in tfjs 4.22) so importScripts can run it.
  const fetchMainScript = async (data: NonNullable<Message>) => {
    const { urlOrBlob } = data;
    const key = typeof urlOrBlob === "string" ? urlOrBlob : `tfjs-main-script-${scripts.size}`;
    const response = urlOrBlob instanceof Blob ? urlOrBlob : await fetch(String(urlOrBlob));
    scripts.set(key, await response.text());
    data.urlOrBlob = key;
  };
  const backlog: Message[] = [];
  let busy = true; // until the worker script runs, and while a main script is read
  const drain = () => {
    while (!busy && backlog.length > 0) {
      const data = backlog.shift()!;
      if (data?.cmd === "load") {
        busy = true;
        fetchMainScript(data).then(() => {
          scope.onmessage!({ data });
          busy = false;
          drain();
        }).catch(fail);
        return;
      }
      scope.onmessage!({ data });
    }
  };
  parentPort.on("message", (data) => {
    backlog.push(data);
    drain();
  });
  fetch(workerScriptUrl).then((response) => response.text()).then((source) => {
    (0, eval)(source);
    if (typeof scope.onmessage !== "function") {
      throw new Error("the worker script set no onmessage");
    }
    busy = false;
    drain();
  }).catch(fail);
}
