/**
 * Safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the raw little-endian data.
 *
 * Reading accepts F32, F16 and BF16 and returns float32 host tensors; writing emits F32 only, with
 * keys sorted and the header padded with spaces to 8 bytes, so the same tensors always encode to
 * the same bytes. This file also holds the element decoding shared by the torch and numpy readers.
 *
 * @example Round trip
 * ```ts
 * import { encodeSafetensors, readSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } }, { a: "b" });
 * const { tensors, metadata } = readSafetensors(bytes);
 * console.log(tensors.w.data, metadata.a); // Float32Array [1, 2] "b"
 * ```
 *
 * @module
 */

import type { HostTensor, StateDict } from "../types.ts";

/** Element types, in safetensors' spelling (also used for torch storages and numpy arrays). */
export type DType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

/** Bytes per element of each {@linkcode DType}. */
export const DTYPE_SIZES: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Dtypes that {@linkcode readSafetensors} converts to float32. */
const READABLE: ReadonlySet<string> = new Set(["F32", "F16", "BF16"]);
/** Refuse headers past this size, as the reference implementation does (a corrupt length). */
const MAX_HEADER_BYTES = 100_000_000;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The content of a safetensors file. */
export interface Safetensors {
  /** Tensors by name, as float32. */
  tensors: StateDict;
  /** The `__metadata__` string map (empty when the file has none). */
  metadata: Record<string, string>;
}

/** Options naming the data in error messages. */
export interface NameOptions {
  /** How errors refer to the data, e.g. its file path. Defaults to a generic description. */
  name?: string;
}

/**
 * Decodes `count` elements of `dtype` from `bytes` into float32 (int64 through `Number`).
 *
 * @example
 * ```ts
 * import { decodeElements } from "./safetensors.ts";
 * const half = new Uint8Array([0x00, 0x3c]); // 1.0 as float16
 * console.log(decodeElements(half, "F16")); // Float32Array [1]
 * ```
 */
export function decodeElements(
  bytes: Uint8Array,
  dtype: DType,
  options: { littleEndian?: boolean } = {},
): Float32Array {
  const le = options.littleEndian ?? true;
  const size = DTYPE_SIZES[dtype];
  if (bytes.length % size !== 0) {
    throw new Error(`Byte length ${bytes.length} is not a multiple of the ${dtype} size ${size}`);
  }
  const n = bytes.length / size;
  if (dtype === "F32" && le === HOST_LITTLE_ENDIAN) return new Float32Array(bytes.slice().buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  const read: (i: number) => number = {
    F64: (i: number) => view.getFloat64(i * 8, le),
    F32: (i: number) => view.getFloat32(i * 4, le),
    F16: (i: number) => halfToFloat(view.getUint16(i * 2, le)),
    BF16: (i: number) => bfloat16ToFloat(view.getUint16(i * 2, le)),
    I64: (i: number) => Number(view.getBigInt64(i * 8, le)),
    I32: (i: number) => view.getInt32(i * 4, le),
    I16: (i: number) => view.getInt16(i * 2, le),
    I8: (i: number) => view.getInt8(i),
    U8: (i: number) => view.getUint8(i),
    BOOL: (i: number) => (view.getUint8(i) ? 1 : 0),
  }[dtype];
  for (let i = 0; i < n; i++) out[i] = read(i);
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bf16Scratch = new DataView(new ArrayBuffer(4));
function bfloat16ToFloat(b: number): number {
  bf16Scratch.setUint32(0, b << 16);
  return bf16Scratch.getFloat32(0);
}

/** Product of a shape's dimensions (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Parses safetensors bytes into float32 tensors and the metadata map.
 *
 * Throws when the header length, a byte range or a shape does not fit the data (a truncated file),
 * and when a tensor has a dtype other than F32, F16 or BF16.
 *
 * @example
 * ```ts
 * import { encodeSafetensors, readSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors({ b: { shape: [], data: new Float32Array([3]) } });
 * console.log(readSafetensors(bytes, { name: "b.safetensors" }).tensors.b.shape); // []
 * ```
 */
export function readSafetensors(bytes: Uint8Array, options: NameOptions = {}): Safetensors {
  const name = options.name ?? "safetensors data";
  if (bytes.length < 8) throw new Error(`Safetensors ${name} is truncated: ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length) {
    throw new Error(
      `Safetensors ${name} is truncated or not safetensors: header of ${headerLength} bytes, file of ${bytes.length}`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new Error(`Safetensors ${name} has a header that is not valid JSON`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new Error(`Safetensors ${name} has a header that is not a JSON object`);
  }
  const data = bytes.subarray(8 + headerLength);
  const metadata: Record<string, string> = {};
  const tensors: StateDict = {};
  for (const [key, entry] of Object.entries(header)) {
    if (key === "__metadata__") {
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== "string") {
          throw new Error(`Safetensors ${name}: metadata "${k}" is not a string`);
        }
        metadata[k] = v;
      }
      continue;
    }
    tensors[key] = readEntry(data, key, entry, name);
  }
  return { tensors, metadata };
}

function readEntry(data: Uint8Array, key: string, entry: unknown, name: string): HostTensor {
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== "string" || !(dtype in DTYPE_SIZES)) {
    throw new Error(
      `Safetensors ${name}: tensor "${key}" has unknown dtype ${JSON.stringify(dtype)}`,
    );
  }
  if (!READABLE.has(dtype)) {
    throw new Error(
      `Safetensors ${name}: tensor "${key}" has dtype ${dtype}; only F32, F16 and BF16 are supported`,
    );
  }
  const validShape = Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0);
  const validOffsets = Array.isArray(offsets) && offsets.length === 2 &&
    offsets.every((o) => Number.isInteger(o) && o >= 0) && offsets[0] <= offsets[1];
  if (!validShape || !validOffsets) {
    throw new Error(`Safetensors ${name}: tensor "${key}" has a malformed shape or data_offsets`);
  }
  const [begin, end] = offsets as number[];
  const expected = numel(shape as number[]) * DTYPE_SIZES[dtype as DType];
  if (end - begin !== expected) {
    throw new Error(
      `Safetensors ${name}: tensor "${key}" of shape [${shape}] needs ${expected} bytes, its range holds ${
        end - begin
      }`,
    );
  }
  if (end > data.length) {
    throw new Error(
      `Safetensors ${name} is truncated: tensor "${key}" ends at data byte ${end}, the data section has ${data.length}`,
    );
  }
  return {
    shape: [...(shape as number[])],
    data: decodeElements(data.subarray(begin, end), dtype as DType),
  };
}

/**
 * Encodes float32 tensors (and an optional string metadata map) as safetensors bytes.
 *
 * Output is deterministic: tensors and metadata keys are sorted, data is packed in key order and
 * the header is padded with spaces to a multiple of 8 bytes.
 *
 * @example
 * ```ts
 * import { encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors({ w: { shape: [1, 2], data: new Float32Array([1, 2]) } });
 * console.log(bytes.length % 8); // 0
 * ```
 */
export function encodeSafetensors(
  tensors: StateDict,
  metadata?: Record<string, string>,
): Uint8Array {
  const keys = Object.keys(tensors).sort(byCodeUnits);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    const sorted: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort(byCodeUnits)) {
      if (typeof metadata[k] !== "string") throw new Error(`Metadata "${k}" must be a string`);
      sorted[k] = metadata[k];
    }
    header.__metadata__ = sorted;
  }
  let offset = 0;
  for (const key of keys) {
    if (key === "__metadata__") throw new Error(`A tensor cannot be named "__metadata__"`);
    const { shape, data } = tensors[key];
    if (!(data instanceof Float32Array) || numel(shape) !== data.length) {
      throw new Error(`Tensor "${key}" has shape [${shape}] but ${data?.length} float32 values`);
    }
    header[key] = { dtype: "F32", shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const spaces = new Uint8Array(padded).fill(0x20);
    spaces.set(json);
    json = spaces;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const key of keys) {
    const { data } = tensors[key];
    if (HOST_LITTLE_ENDIAN) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    } else {
      const view = new DataView(out.buffer, pos, data.byteLength);
      data.forEach((x, i) => view.setFloat32(i * 4, x, true));
    }
    pos += data.byteLength;
  }
  return out;
}

/** Orders strings by UTF-16 code units (locale-independent, ASCII order for our keys). */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
