/**
 * Reading `torch.save` files without torch: the zip format (PyTorch >= 1.6) and the legacy one.
 *
 * Zip: `<dir>/data.pkl` is a pickle whose tensors point (persistent ids) at storages stored as
 * `<dir>/data/<key>` entries. Entries are stored uncompressed, so they are read by slicing the file
 * through the zip central directory (zip64 included), never inflated.
 *
 * Legacy: five pickles back to back (magic number, protocol version 1001, system info, the object
 * with storage persistent ids, the sorted list of storage keys), then each storage as an 8-byte
 * little-endian element count and its raw data.
 *
 * Tensors come out as float32 {@linkcode HostTensor}s, contiguous, whatever their storage dtype,
 * offset and strides; dicts come out as `Map`s (see {@linkcode unpickle}).
 *
 * About 370 lines: both layouts share the storage and tensor stand-ins, the zip directory reader
 * and the mapping of a torch Adam `state_dict()` onto parameter names live here too.
 *
 * @example
 * ```ts ignore
 * import { readTorch } from "./torch.ts";
 * const dict = readTorch(await Deno.readFile("train_step-3.model")) as Map<string, unknown>;
 * console.log([...dict.keys()]); // ["generator", "discriminator", ...]
 * ```
 *
 * @module
 */

import type { AdamState, HostTensor, StateDict } from "../types.ts";
import { CONTAINER_GLOBALS, unpickle } from "./pickle.ts";
import { decodeElements, type DType, DTYPE_SIZES, type NameOptions, numel } from "./safetensors.ts";

/** First value of a legacy file: torch's `MAGIC_NUMBER`. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

const STORAGE_DTYPES: Record<string, DType> = {
  DoubleStorage: "F64",
  FloatStorage: "F32",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
  UntypedStorage: "U8",
};

/** The value a pickle gets for `torch.FloatStorage` and friends. */
class StorageType {
  constructor(readonly dtype: DType) {}
}

/** One storage; `bytes` is filled from the zip entry, or after the object pickle in legacy files. */
class Storage {
  bytes?: Uint8Array;
  #floats?: Float32Array;
  constructor(readonly key: string, readonly dtype: DType, readonly littleEndian: boolean) {}
  floats(name: string): Float32Array {
    if (!this.bytes) throw new Error(`Torch file ${name}: storage "${this.key}" has no data`);
    this.#floats ??= decodeElements(this.bytes, this.dtype, { littleEndian: this.littleEndian });
    return this.#floats;
  }
}

/** A storage seen through a legacy view (`view_metadata`): an element offset into it. */
interface StorageRef {
  storage: Storage;
  offset: number;
}

/** What `_rebuild_tensor_v2` returns while storages may still be unread. */
class TensorRef {
  constructor(
    readonly ref: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

const rebuildTensor = (ref: unknown, offset: unknown, size: unknown, stride: unknown) =>
  new TensorRef(ref as StorageRef, offset as number, size as number[], stride as number[]);

const TORCH_GLOBALS: Readonly<Record<string, unknown>> = {
  ...CONTAINER_GLOBALS,
  "torch._utils._rebuild_tensor": rebuildTensor,
  "torch._utils._rebuild_tensor_v2": rebuildTensor,
  "torch._utils._rebuild_parameter": (data: unknown) => data,
  "torch._utils._rebuild_parameter_with_state": (data: unknown) => data,
  ...Object.fromEntries(
    Object.entries(STORAGE_DTYPES).map(([k, dtype]) => [`torch.${k}`, new StorageType(dtype)]),
  ),
};

/** True when `bytes` starts like a zip archive (`PK\x03\x04`), as `torch.save` files since 1.6. */
export function isTorchZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** True when `bytes` starts with the legacy `torch.save` magic number pickle. */
export function isTorchLegacy(bytes: Uint8Array): boolean {
  // PROTO 2, LONG1 of 10 bytes, then the magic number's low bytes.
  const head = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
  return head.every((b, i) => bytes[i] === b);
}

/**
 * Reads a `torch.save` file (zip or legacy format) into JS values with float32 host tensors.
 *
 * @example
 * ```ts ignore
 * import { readTorch } from "./torch.ts";
 * const sd = readTorch(await Deno.readFile("g_running.model"), { name: "g_running.model" });
 * ```
 */
export function readTorch(bytes: Uint8Array, options: NameOptions = {}): unknown {
  const name = options.name ?? "torch data";
  if (isTorchZip(bytes)) return readTorchZip(bytes, { name });
  if (isTorchLegacy(bytes)) return readTorchLegacy(bytes, { name });
  throw new Error(`File ${name} is not a torch.save file (no zip header or legacy magic number)`);
}

/**
 * Reads the zip `torch.save` format.
 *
 * @example
 * ```ts ignore
 * import { readTorchZip } from "./torch.ts";
 * const value = readTorchZip(await Deno.readFile("checkpoint.pt"), { name: "checkpoint.pt" });
 * ```
 */
export function readTorchZip(bytes: Uint8Array, options: NameOptions = {}): unknown {
  const name = options.name ?? "torch data";
  const entries = readZipEntries(bytes, name);
  const pkl = [...entries.keys()].find((k) => k === "data.pkl" || k.endsWith("/data.pkl"));
  if (!pkl) throw new Error(`Torch file ${name} has no data.pkl entry`);
  const dir = pkl.slice(0, -"data.pkl".length);
  const order = entries.get(`${dir}byteorder`);
  const littleEndian = !order || new TextDecoder().decode(order).trim() !== "big";
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): StorageRef => {
    const [kind, type, key] = pid as [unknown, unknown, unknown];
    if (kind !== "storage" || !(type instanceof StorageType) || typeof key !== "string") {
      throw new Error(`Torch file ${name}: unexpected persistent id ${JSON.stringify(pid)}`);
    }
    let storage = storages.get(key);
    if (!storage) {
      storage = new Storage(key, type.dtype, littleEndian);
      storage.bytes = entries.get(`${dir}data/${key}`);
      if (!storage.bytes) throw new Error(`Torch file ${name} has no storage entry data/${key}`);
      storages.set(key, storage);
    }
    return { storage, offset: 0 };
  };
  const { value } = unpickle(entries.get(pkl)!, {
    name,
    globals: TORCH_GLOBALS,
    persistentLoad,
  });
  return materialize(value, name);
}

/**
 * Reads the legacy (pre-1.6) `torch.save` format.
 *
 * @example
 * ```ts ignore
 * import { readTorchLegacy } from "./torch.ts";
 * const value = readTorchLegacy(await Deno.readFile("old.model"), { name: "old.model" });
 * ```
 */
export function readTorchLegacy(bytes: Uint8Array, options: NameOptions = {}): unknown {
  const name = options.name ?? "torch data";
  const read = (offset: number, extra = {}) => unpickle(bytes, { name, offset, ...extra });
  const magic = read(0);
  if (magic.value !== LEGACY_MAGIC) throw new Error(`Torch file ${name} has a wrong magic number`);
  const protocol = read(magic.end);
  if (protocol.value !== LEGACY_PROTOCOL) {
    throw new Error(`Torch file ${name} has protocol version ${protocol.value}, expected 1001`);
  }
  const sysInfo = read(protocol.end);
  const littleEndian = (sysInfo.value as Map<string, unknown>).get("little_endian") !== false;
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): StorageRef => {
    const [kind, type, key, , , view] = pid as unknown[];
    if (kind !== "storage" || !(type instanceof StorageType) || typeof key !== "string") {
      throw new Error(`Torch file ${name}: unexpected persistent id ${JSON.stringify(pid)}`);
    }
    if (!storages.has(key)) storages.set(key, new Storage(key, type.dtype, littleEndian));
    // view_metadata = (view_key, offset, size): a slice of the root storage `key`.
    const offset = Array.isArray(view) ? (view[1] as number) : 0;
    return { storage: storages.get(key)!, offset };
  };
  const object = read(sysInfo.end, { globals: TORCH_GLOBALS, persistentLoad });
  const keys = read(object.end);
  if (!Array.isArray(keys.value)) throw new Error(`Torch file ${name}: storage key list missing`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const storage = storages.get(key);
    if (!storage) throw new Error(`Torch file ${name}: storage "${key}" is not used by any tensor`);
    if (pos + 8 > bytes.length) {
      throw new Error(`Torch file ${name} is truncated at storage "${key}"`);
    }
    const count = Number(view.getBigUint64(pos, littleEndian));
    const end = pos + 8 + count * DTYPE_SIZES[storage.dtype];
    if (end > bytes.length) throw new Error(`Torch file ${name} is truncated at storage "${key}"`);
    storage.bytes = bytes.subarray(pos + 8, end);
    pos = end;
  }
  return materialize(object.value, name);
}

/** Replaces every tensor reference in a pickled value by a contiguous float32 host tensor. */
function materialize(value: unknown, name: string): unknown {
  if (value instanceof TensorRef) return toHostTensor(value, name);
  if (value instanceof Map) {
    return new Map([...value].map(([k, v]) => [k, materialize(v, name)]));
  }
  if (Array.isArray(value)) return value.map((v) => materialize(v, name));
  return value;
}

function toHostTensor(t: TensorRef, name: string): HostTensor {
  const src = t.ref.storage.floats(name);
  const shape = [...t.size];
  const n = numel(shape);
  const start = t.ref.offset + t.offset;
  const last = shape.reduce((acc, d, i) => acc + (d > 0 ? (d - 1) * t.stride[i] : 0), start);
  if (n > 0 && (start < 0 || last >= src.length)) {
    throw new Error(
      `Torch file ${name}: tensor of shape [${shape}] reads past storage "${t.ref.storage.key}"`,
    );
  }
  const contiguous = shape.every((d, i) => d === 1 || t.stride[i] === numel(shape.slice(i + 1)));
  if (contiguous) return { shape, data: src.slice(start, start + n) };
  const data = new Float32Array(n);
  // Walk the strided view in row-major order (an odometer over the indices).
  const index = new Array(shape.length).fill(0);
  let offset = start;
  for (let i = 0; i < n; i++) {
    data[i] = src[offset];
    for (let d = shape.length - 1; d >= 0; d--) {
      offset += t.stride[d];
      if (++index[d] < shape[d]) break;
      offset -= t.stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return { shape, data };
}

/**
 * Maps a torch `optimizer.state_dict()` of Adam onto parameter names.
 *
 * The optimizer numbers parameters in the order of its param groups; `parameterNames` lists the
 * model's parameters in the same order (state dict order without buffers, groups in module order,
 * as the reference's `generator` then `style` groups). Parameters that never got a gradient have no
 * Adam state in torch: they get zero moments here and are listed in `missing`.
 *
 * @example
 * ```ts ignore
 * import { torchAdamState } from "./torch.ts";
 * const { adam } = torchAdamState(dict.get("g_optimizer"), names, generator, { name: "ckpt.model" });
 * ```
 */
export function torchAdamState(
  optimizer: unknown,
  parameters: { names: string[]; tensors: StateDict },
  options: NameOptions = {},
): { adam: AdamState; missing: string[]; steps: number[] } {
  const name = options.name ?? "torch data";
  const fail = (message: string) => new Error(`Optimizer state in ${name}: ${message}`);
  if (!(optimizer instanceof Map)) throw fail("not a dict");
  const groups = optimizer.get("param_groups");
  const state = optimizer.get("state");
  if (!Array.isArray(groups) || !(state instanceof Map)) throw fail("no state / param_groups");
  const indices = groups.flatMap((g) => (g instanceof Map ? g.get("params") : []) as number[]);
  const { names, tensors } = parameters;
  if (indices.length !== names.length) {
    throw fail(`${indices.length} parameters in its groups, the model has ${names.length}`);
  }
  const adam: AdamState = { step: 0, m: {}, v: {} };
  const missing: string[] = [];
  const steps = new Set<number>();
  names.forEach((key, i) => {
    const shape = tensors[key].shape;
    const entry = state.get(indices[i]);
    if (!(entry instanceof Map)) {
      missing.push(key);
      adam.m[key] = { shape: [...shape], data: new Float32Array(numel(shape)) };
      adam.v[key] = { shape: [...shape], data: new Float32Array(numel(shape)) };
      return;
    }
    for (const [field, out] of [["exp_avg", adam.m], ["exp_avg_sq", adam.v]] as const) {
      const t = entry.get(field) as HostTensor | undefined;
      if (!t?.data || t.shape.join() !== shape.join()) {
        throw fail(`${field} of "${key}" has shape [${t?.shape}], the parameter [${shape}]`);
      }
      out[key] = t;
    }
    const step = entry.get("step");
    steps.add(typeof step === "number" ? step : (step as HostTensor).data[0]);
  });
  adam.step = Math.max(0, ...steps);
  return { adam, missing, steps: [...steps] };
}

/** Maps entry names to their stored bytes, read through the central directory. */
function readZipEntries(bytes: Uint8Array, name: string): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (message: string) => new Error(`Torch zip file ${name} ${message}`);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  // End of central directory: 22 bytes plus a comment of up to 65535 bytes at the very end.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (u32(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw fail("is truncated or damaged: no end of central directory record");
  let count = u16(eocd + 10);
  let cdOffset = u32(eocd + 16);
  if (eocd >= 20 && u32(eocd - 20) === 0x07064b50) {
    const zip64 = u64(eocd - 20 + 8);
    if (zip64 + 56 > bytes.length || u32(zip64) !== 0x06064b50) {
      throw fail("has a bad zip64 record");
    }
    count = u64(zip64 + 32);
    cdOffset = u64(zip64 + 48);
  }
  const entries = new Map<string, Uint8Array>();
  let p = cdOffset;
  for (let e = 0; e < count; e++) {
    if (p + 46 > bytes.length || u32(p) !== 0x02014b50) {
      throw fail("has a damaged central directory");
    }
    const method = u16(p + 10);
    let size = u32(p + 20);
    const nameLength = u16(p + 28);
    const extraLength = u16(p + 30);
    let local = u32(p + 42);
    const entryName = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    // Zip64 extra field: the 8-byte values of the 32-bit fields set to 0xffffffff, in order.
    let x = p + 46 + nameLength;
    while (x + 4 <= p + 46 + nameLength + extraLength) {
      if (u16(x) === 0x0001) {
        let q = x + 4;
        if (u32(p + 24) === 0xffffffff) q += 8;
        if (size === 0xffffffff) {
          size = u64(q);
          q += 8;
        }
        if (local === 0xffffffff) local = u64(q);
      }
      x += 4 + u16(x + 2);
    }
    if (method !== 0) {
      throw fail(
        `entry ${entryName} is compressed (method ${method}); torch stores entries uncompressed`,
      );
    }
    if (local + 30 > bytes.length || u32(local) !== 0x04034b50) {
      throw fail(`has a bad local header for ${entryName}`);
    }
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + size > bytes.length) throw fail(`is truncated inside entry ${entryName}`);
    entries.set(entryName, bytes.subarray(start, start + size));
    p += 46 + nameLength + extraLength + u16(p + 32);
  }
  return entries;
}
