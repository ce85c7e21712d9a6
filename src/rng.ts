/**
 * A small seedable random number generator whose state can be saved and restored exactly.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's "small fast chaotic" generator, 128-bit state,
 * passes PractRand), seeded through splitmix32 so that nearby seeds give unrelated streams. It is
 * the one source of randomness for the data loader, the trainer's noise and the demos, so that a
 * run started from the same seed, or resumed from a saved `state()`, repeats exactly.
 *
 * @example Reproducible draws
 * ```ts
 * import { Rng } from "./rng.ts";
 * const a = new Rng(42);
 * const saved = a.state();
 * const first = a.next();
 * const b = Rng.fromState(saved);
 * console.assert(b.next() === first);
 * ```
 *
 * @module
 */

const TWO_32 = 4294967296;

/** Seedable sfc32 generator: uniform floats and integers, normals, shuffles, exact save/restore. */
export class Rng {
  #a = 0;
  #b = 0;
  #c = 0;
  #d = 0;

  /**
   * Starts a stream from an integer seed (any safe integer; the same seed gives the same stream).
   *
   * @example
   * ```ts
   * import { Rng } from "./rng.ts";
   * const rng = new Rng(7);
   * const u = rng.next(); // in [0, 1)
   * ```
   */
  constructor(seed = 0) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`Rng seed must be a safe integer, got ${seed}`);
    }
    // splitmix32 over the low and high words fills the 128-bit state.
    let s = (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_32) >>> 0, 0x9e3779b9);
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = splitmix();
    this.#b = splitmix();
    this.#c = splitmix();
    this.#d = 1; // sfc32's counter, as in the reference seeding
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /**
   * Rebuilds a generator from `state()`; it continues exactly where the saved one was.
   *
   * @example
   * ```ts
   * import { Rng } from "./rng.ts";
   * const rng = new Rng(1);
   * const copy = Rng.fromState(rng.state());
   * console.assert(copy.uint32() === rng.uint32());
   * ```
   */
  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || !state.every((v) => Number.isInteger(v) && v >= 0 && v < TWO_32)) {
      throw new RangeError(
        `Rng state must be 4 unsigned 32-bit integers, got ${JSON.stringify(state)}`,
      );
    }
    const rng = new Rng(0);
    [rng.#a, rng.#b, rng.#c, rng.#d] = state;
    return rng;
  }

  /**
   * The full generator state as four unsigned 32-bit integers (JSON-safe).
   *
   * @example
   * ```ts
   * import { Rng } from "./rng.ts";
   * const saved = JSON.stringify(new Rng(3).state());
   * ```
   */
  state(): number[] {
    return [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0];
  }

  /**
   * A uniform unsigned 32-bit integer.
   *
   * @example
   * ```ts
   * import { Rng } from "./rng.ts";
   * const bits = new Rng(5).uint32(); // 0 <= bits < 2 ** 32
   * ```
   */
  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /**
   * A uniform float in [0, 1) with 32 random bits.
   *
   * @example
   * ```ts
   * import { Rng } from "./rng.ts";
   * const coin = new Rng(9).next() < 0.5;
   * ```
   */
  next(): number {
    return this.uint32() / TWO_32;
  }

  /**
   * A uniform integer in [0, n), without modulo bias (rejection sampling); `n` at most 2^32.
   *
   * @example
   * ```ts
   * import { Rng } from "./rng.ts";
   * const die = new Rng(2).int(6) + 1;
   * ```
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_32) {
      throw new RangeError(`Rng.int expects an integer in [1, 2^32], got ${n}`);
    }
    const limit = TWO_32 - (TWO_32 % n);
    let x = this.uint32();
    while (x >= limit) x = this.uint32();
    return x % n;
  }

  /**
   * A standard normal draw (Box-Muller; uses two uniforms per call, keeps no spare value, so that
   * `state()` alone captures the stream).
   *
   * @example
   * ```ts
   * import { Rng } from "./rng.ts";
   * const rng = new Rng(4);
   * const z = Float32Array.from({ length: 8 }, () => rng.normal());
   * ```
   */
  normal(): number {
    const u1 = 1 - this.next(); // (0, 1]: log stays finite
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /**
   * Shuffles `array` in place (Fisher-Yates) and returns it.
   *
   * @example
   * ```ts
   * import { Rng } from "./rng.ts";
   * const order = new Rng(0).shuffle([0, 1, 2, 3, 4]);
   * ```
   */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }
}
