/**
 * Reading the Jittor port's `jt.save` files: `pickle.dumps(obj, protocol=4)` of a dict whose
 * tensors are numpy arrays, then the 20-byte SHA-1 digest of those pickle bytes, then the 8 bytes
 * `HCAJSLHD`. The digest is checked before anything is unpickled.
 *
 * Numpy arrays pickle as `numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b"b")` followed
 * by `BUILD (version, shape, dtype, is_fortran, raw bytes)`; the stand-ins below rebuild them as
 * float32 {@linkcode HostTensor}s in C order.
 *
 * @example
 * ```ts ignore
 * import { readJittor } from "./jittor.ts";
 * const dict = await readJittor(await Deno.readFile("g_running.model")) as Map<string, unknown>;
 * ```
 *
 * @module
 */

import type { HostTensor } from "../types.ts";
import { CONTAINER_GLOBALS, type PyStateful, unpickle } from "./pickle.ts";
import { decodeElements, type DType, type NameOptions, numel } from "./safetensors.ts";

/** The 8 bytes that end every `jt.save` file. */
export const JITTOR_TAIL = "HCAJSLHD";
const DIGEST_BYTES = 20;

/** Numpy type characters and sizes -> our dtypes. */
const NUMPY_DTYPES: Record<string, DType> = {
  f8: "F64",
  f4: "F32",
  f2: "F16",
  i8: "I64",
  i4: "I32",
  i2: "I16",
  i1: "I8",
  u1: "U8",
  b1: "BOOL",
};

/** `numpy.dtype(spec, align, copy)`, then `BUILD (version, byteorder, ...)`. */
class NumpyDtype implements PyStateful {
  readonly dtype: DType;
  littleEndian = true;
  constructor(spec: unknown) {
    const dtype = NUMPY_DTYPES[String(spec)];
    if (!dtype) throw new Error(`Numpy dtype "${spec}" is not supported (expected a number type)`);
    this.dtype = dtype;
  }
  setState(state: unknown): void {
    this.littleEndian = (state as unknown[])[1] !== ">";
  }
}

/** An ndarray being rebuilt; `BUILD` gives its shape, dtype, order and bytes. */
class NumpyArray implements PyStateful {
  tensor?: HostTensor;
  setState(state: unknown): void {
    const [, shape, dtype, fortran, raw] = state as [
      number,
      number[],
      NumpyDtype,
      boolean,
      unknown,
    ];
    if (!(dtype instanceof NumpyDtype) || !(raw instanceof Uint8Array)) {
      throw new Error("Numpy array state is not (version, shape, dtype, order, bytes)");
    }
    this.tensor = fromBytes(raw, dtype, shape, fortran);
  }
}

function fromBytes(
  raw: Uint8Array,
  dtype: NumpyDtype,
  shape: number[],
  fortran: boolean,
): HostTensor {
  const values = decodeElements(raw, dtype.dtype, { littleEndian: dtype.littleEndian });
  if (values.length !== numel(shape)) {
    throw new Error(`Numpy array of shape [${shape}] holds ${values.length} values`);
  }
  if (!fortran || shape.length < 2) return { shape: [...shape], data: values };
  // Column-major: element (i0, i1, ...) sits at i0 + s0 * (i1 + s1 * ...); gather in row-major order.
  const data = new Float32Array(values.length);
  const index = new Array(shape.length).fill(0);
  for (let i = 0; i < data.length; i++) {
    let src = 0;
    for (let d = shape.length - 1; d >= 0; d--) src = src * shape[d] + index[d];
    data[i] = values[src];
    for (let d = shape.length - 1; d >= 0 && ++index[d] === shape[d]; d--) index[d] = 0;
  }
  return { shape: [...shape], data };
}

const NDARRAY = Symbol("numpy.ndarray");
const reconstruct = () => new NumpyArray();
const scalar = (dtype: unknown, raw: unknown) =>
  decodeElements(raw as Uint8Array, (dtype as NumpyDtype).dtype, {
    littleEndian: (dtype as NumpyDtype).littleEndian,
  })[0];
const frombuffer = (raw: unknown, dtype: unknown, shape: unknown, order: unknown) => {
  const array = new NumpyArray();
  array.tensor = fromBytes(
    raw as Uint8Array,
    dtype as NumpyDtype,
    shape as number[],
    order === "F",
  );
  return array;
};

/** The globals a numpy pickle names (numpy 1.x `numpy.core` and numpy 2.x `numpy._core`). */
const NUMPY_GLOBALS: Readonly<Record<string, unknown>> = {
  ...CONTAINER_GLOBALS,
  "numpy.ndarray": NDARRAY,
  "numpy.dtype": (spec: unknown) => new NumpyDtype(spec),
  "numpy.core.multiarray._reconstruct": reconstruct,
  "numpy._core.multiarray._reconstruct": reconstruct,
  "numpy.core.multiarray.scalar": scalar,
  "numpy._core.multiarray.scalar": scalar,
  "numpy.core.numeric._frombuffer": frombuffer,
  "numpy._core.numeric._frombuffer": frombuffer,
  // Protocol-2 pickles spell bytes as _codecs.encode(latin-1 text, "latin1").
  "_codecs.encode": (text: unknown) => Uint8Array.from(String(text), (c) => c.charCodeAt(0)),
};

/** True when `bytes` ends with the `jt.save` tail `HCAJSLHD`. */
export function isJittor(bytes: Uint8Array): boolean {
  if (bytes.length < JITTOR_TAIL.length) return false;
  return new TextDecoder().decode(bytes.subarray(bytes.length - JITTOR_TAIL.length)) ===
    JITTOR_TAIL;
}

/**
 * Reads a `jt.save` file: checks the SHA-1 tail, then unpickles with numpy stand-ins only.
 *
 * @example
 * ```ts ignore
 * import { readJittor } from "./jittor.ts";
 * const value = await readJittor(await Deno.readFile("x.model"), { name: "x.model" });
 * ```
 */
export async function readJittor(bytes: Uint8Array, options: NameOptions = {}): Promise<unknown> {
  const name = options.name ?? "Jittor data";
  if (!isJittor(bytes) || bytes.length < DIGEST_BYTES + JITTOR_TAIL.length) {
    throw new Error(`Jittor file ${name} does not end with the jt.save tail "${JITTOR_TAIL}"`);
  }
  const end = bytes.length - JITTOR_TAIL.length - DIGEST_BYTES;
  const payload = bytes.subarray(0, end);
  const stored = bytes.subarray(end, end + DIGEST_BYTES);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", payload.slice()));
  if (!digest.every((b, i) => b === stored[i])) {
    throw new Error(
      `Jittor file ${name} fails its sha1 check: the stored digest does not match the data (corrupted or truncated file)`,
    );
  }
  const result = unpickle(payload, { name, globals: NUMPY_GLOBALS });
  if (result.end !== payload.length) {
    throw new Error(
      `Jittor file ${name} has ${payload.length - result.end} stray bytes after its pickle`,
    );
  }
  return materialize(result.value, name);
}

function materialize(value: unknown, name: string): unknown {
  if (value instanceof NumpyArray) {
    if (!value.tensor) throw new Error(`Jittor file ${name}: a numpy array has no data`);
    return value.tensor;
  }
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, materialize(v, name)]));
  if (Array.isArray(value)) return value.map((v) => materialize(v, name));
  return value;
}
