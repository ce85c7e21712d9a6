/**
 * A restricted unpickler: reads Python pickles (protocols 0-5 opcodes as written by protocols 2-5)
 * without running anything from the file.
 *
 * A pickle names Python callables (`GLOBAL module name`) and asks the loader to call them; Python's
 * own unpickler imports and runs whatever is named, which is how a checkpoint can carry
 * `os.system`. Here the caller passes the only globals its format needs, each a small JS stand-in,
 * and any other global stops the load with an error naming it.
 *
 * Python values come out as: None -> null, bool -> boolean, int -> number (bigint beyond 2^53),
 * float -> number, str -> string, bytes / bytearray -> Uint8Array, list and tuple -> Array,
 * dict -> Map (keeps insertion order and integer keys), set / frozenset -> Set.
 *
 * This file is long (about 480 lines) because it is one opcode switch, one short case per opcode;
 * splitting it would scatter the stack discipline that the opcodes share.
 *
 * @example Load a dict pickled by `pickle.dumps({"a": 1}, protocol=2)`
 * ```ts
 * import { unpickle } from "./pickle.ts";
 * const bytes = new Uint8Array([
 *   0x80, 0x02, 0x7d, 0x71, 0x00, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01, 0x4b, 0x01, 0x73, 0x2e,
 * ]);
 * console.log(unpickle(bytes).value); // Map(1) { "a" => 1 }
 * ```
 *
 * @module
 */

/** A JS stand-in for a Python object that `BUILD` hands its pickled state to (`__setstate__`). */
export interface PyStateful {
  /** Receives the state pickled by the object's `__reduce__`. */
  setState(state: unknown): void;
}

/** A callable global: called by `REDUCE`, `NEWOBJ`, `INST` and `OBJ` with the pickled arguments. */
export type PyCallable = (...args: unknown[]) => unknown;

/** Options of {@linkcode unpickle}. */
export interface UnpickleOptions {
  /** How errors refer to the data, e.g. its file path. */
  name?: string;
  /** Byte offset of the pickle inside `bytes` (files that hold several pickles). */
  offset?: number;
  /**
   * The only globals the pickle may name, keyed `"module.name"`: a function for callables, any
   * other value for globals that are only passed around (e.g. `torch.FloatStorage`).
   */
  globals?: Readonly<Record<string, unknown>>;
  /** Resolves a persistent id (`PERSID` / `BINPERSID`), e.g. torch's storage references. */
  persistentLoad?: (pid: unknown) => unknown;
}

/** What {@linkcode unpickle} returns. */
export interface UnpickleResult {
  /** The unpickled object. */
  value: unknown;
  /** Offset of the byte after the `STOP` opcode. */
  end: number;
}

/** Safe stand-ins for the Python container types that pickles name as globals. */
export const CONTAINER_GLOBALS: Readonly<Record<string, unknown>> = {
  "collections.OrderedDict": (items: unknown = []) =>
    new Map(items as Iterable<[unknown, unknown]>),
  "builtins.set": (items: unknown = []) => new Set(items as Iterable<unknown>),
  "builtins.frozenset": (items: unknown = []) => new Set(items as Iterable<unknown>),
  "builtins.bytearray": (items: unknown = []) => new Uint8Array(items as ArrayLike<number>),
  "__builtin__.set": (items: unknown = []) => new Set(items as Iterable<unknown>),
  "__builtin__.frozenset": (items: unknown = []) => new Set(items as Iterable<unknown>),
};

const MAX_PROTOCOL = 5;
const utf8 = new TextDecoder();

/**
 * Unpickles one pickle from `bytes`, resolving globals only through `options.globals`.
 *
 * Throws on any global not in that table (`Refusing to load global "os.system" from x.model`),
 * on extension-registry and out-of-band-buffer opcodes, and on truncated data.
 *
 * @example
 * ```ts
 * import { unpickle } from "./pickle.ts";
 * // pickle.dumps([1, 2.5], protocol=2)
 * const bytes = new Uint8Array([
 *   0x80, 0x02, 0x5d, 0x71, 0x00, 0x28, 0x4b, 0x01, 0x47, 0x40, 0x04, 0, 0, 0, 0, 0, 0, 0x65, 0x2e,
 * ]);
 * console.log(unpickle(bytes, { name: "list.pkl" }).value); // [1, 2.5]
 * ```
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): UnpickleResult {
  const name = options.name ?? "pickle data";
  const globals = options.globals ?? {};
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = options.offset ?? 0;

  const fail = (message: string): Error => new Error(`Pickle ${name}: ${message} (byte ${pos})`);
  const need = (n: number): number => {
    if (pos + n > bytes.length) {
      throw new Error(`Pickle ${name} ends early at byte ${bytes.length} (truncated file?)`);
    }
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => view.getUint8(need(1));
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const i32 = () => view.getInt32(need(4), true);
  const u64 = () => {
    const n = view.getBigUint64(need(8), true);
    if (n > BigInt(bytes.length - pos)) {
      throw new Error(
        `Pickle ${name} ends early: a ${n}-byte item runs past byte ${bytes.length} (truncated file?)`,
      );
    }
    return Number(n);
  };
  const take = (n: number) => bytes.subarray(need(n), pos);
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) {
      throw new Error(`Pickle ${name} ends early inside a text opcode (truncated file?)`);
    }
    const text = latin1(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const pop = () => {
    if (stack.length === 0 || stack.length === marks.at(-1)) throw fail("stack underflow");
    return stack.pop();
  };
  const popMark = () => {
    const at = marks.pop();
    if (at === undefined) throw fail("MARK expected");
    return stack.splice(at);
  };
  const top = () => {
    if (stack.length === 0) throw fail("stack underflow");
    return stack[stack.length - 1];
  };
  const findGlobal = (module: string, qualname: string) => {
    const key = `${module}.${qualname}`;
    if (!Object.hasOwn(globals, key)) {
      throw new Error(
        `Refusing to load global "${key}" from ${name}: a checkpoint may only name tensor and container types`,
      );
    }
    return globals[key];
  };
  const call = (fn: unknown, args: unknown) => {
    if (typeof fn !== "function") throw fail(`cannot call ${describe(fn)}`);
    if (!Array.isArray(args)) throw fail(`call arguments must be a tuple, got ${describe(args)}`);
    return guard(() => (fn as PyCallable)(...args));
  };
  const guard = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      const message = (e as Error).message;
      throw message.includes(name) ? e : fail(message);
    }
  };
  const load = (pid: unknown) => {
    if (!options.persistentLoad) {
      throw fail("persistent id found but this format does not use them");
    }
    return options.persistentLoad(pid);
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) throw fail(`memo key ${i} is not set`);
    return memo.get(i);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) throw fail(`SETITEMS on ${describe(target)}`);
    for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (Array.isArray(target)) target.push(...items);
    else if (target instanceof Set) items.forEach((x) => target.add(x));
    else throw fail(`APPENDS on ${describe(target)}`);
  };

  while (true) {
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const protocol = u8();
        if (protocol > MAX_PROTOCOL) throw fail(`unsupported pickle protocol ${protocol}`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP (pops a MARK when one sits on top)
        if (marks.at(-1) === stack.length) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x49: { // INT (protocol 0; "01"/"00" are True/False)
        const text = line().trim();
        stack.push(text === "01" ? true : text === "00" ? false : toNumber(BigInt(text)));
        break;
      }
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4c: // LONG (protocol 0)
        stack.push(toNumber(BigInt(line().trim().replace(/L$/, ""))));
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(take(u8())));
        break;
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) throw fail("negative LONG4 length");
        stack.push(decodeLong(take(n)));
        break;
      }
      case 0x46: // FLOAT (protocol 0)
        stack.push(parseFloat(line()));
        break;
      case 0x47: // BINFLOAT: big-endian float64
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x54: { // BINSTRING (Python 2 str)
        const n = i32();
        if (n < 0) throw fail("negative BINSTRING length");
        stack.push(latin1(take(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(take(u8())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape)
        stack.push(
          line().replace(
            /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
            (_, a, b) => String.fromCodePoint(parseInt(a ?? b, 16)),
          ),
        );
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(take(u64())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x97: // NEXT_BUFFER
        throw fail("out-of-band buffers (pickle protocol 5 NEXT_BUFFER) are not supported");
      case 0x98: // READONLY_BUFFER: no effect on in-band data
        top();
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: { // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const map = new Map();
        setItems(map, popMark());
        stack.push(map);
        break;
      }
      case 0x73: { // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: { // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x67: // GET
        stack.push(memoGet(parseInt(line(), 10)));
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x70: // PUT
        memo.set(parseInt(line(), 10), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x63: { // GLOBAL
        const module = line();
        stack.push(findGlobal(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const qualname = pop();
        const module = pop();
        if (typeof module !== "string" || typeof qualname !== "string") {
          throw fail("STACK_GLOBAL needs two strings");
        }
        stack.push(findGlobal(module, qualname));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        if (!(kwargs instanceof Map) || kwargs.size > 0) {
          throw fail("NEWOBJ_EX with keyword arguments");
        }
        stack.push(call(pop(), args));
        break;
      }
      case 0x69: { // INST
        const module = line();
        const cls = findGlobal(module, line());
        stack.push(call(cls, popMark()));
        break;
      }
      case 0x6f: { // OBJ
        const [cls, ...args] = popMark();
        stack.push(call(cls, args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const target = top();
        if (typeof (target as PyStateful)?.setState === "function") {
          guard(() => (target as PyStateful).setState(state));
        } else if (!(target instanceof Map)) {
          // A Map is an OrderedDict whose state only sets attributes such as `_metadata`.
          throw fail(`cannot set the state of ${describe(target)}`);
        }
        break;
      }
      case 0x50: // PERSID
        stack.push(load(line()));
        break;
      case 0x51: // BINPERSID
        stack.push(load(pop()));
        break;
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        throw fail("extension-registry opcodes (EXT1/2/4) are not supported");
      default:
        pos -= 1;
        throw fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, "0")}`);
    }
  }
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** Decodes a little-endian two's-complement integer (LONG1 / LONG4). */
function decodeLong(bytes: Uint8Array): number | bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  if (bytes.length && bytes[bytes.length - 1] & 0x80) n -= 1n << BigInt(8 * bytes.length);
  return toNumber(n);
}

function toNumber(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n;
}

function describe(x: unknown): string {
  if (x === null) return "None";
  if (Array.isArray(x)) return "a tuple/list";
  if (x instanceof Map) return "a dict";
  return typeof x === "object" ? `a ${x.constructor?.name ?? "object"}` : `a ${typeof x}`;
}
