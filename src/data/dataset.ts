/**
 * Reads a prepared dataset: shuffled, seeded batches as NHWC float32 in [-1, 1].
 *
 * Sampling works like a shuffling data loader: each epoch visits every image once in an order
 * drawn from the seeded {@link Rng}; a batch takes the next `size` images (crossing into the next
 * epoch when needed) and, with `flip`, mirrors each one with probability 1/2 from the same
 * generator. After each batch the next one with the same arguments is drawn and built in the
 * background; a call with other arguments rewinds the sampler first, so results never depend on
 * prefetching. Packed files up to `memoryLimit` bytes are read into memory once; larger ones are
 * read image by image.
 *
 * @example Train-loop usage
 * ```ts ignore
 * import { Dataset } from "./dataset.ts";
 * const data = await Dataset.open("data/emoji", { seed: 1 });
 * const { data: pixels, shape } = await data.batch(32, 16, { flip: true }); // [16, 32, 32, 3]
 * const x = await data.batchTensor(32, 16); // tf.Tensor4D
 * await data.close();
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { type Draw, Sampler, type SamplerState, type Snapshot } from "./_sampler.ts";
import { type DatasetIndex, imageBytes, readIndex } from "./format.ts";

export type { SamplerState };

/** Options for {@link Dataset.open}. */
export interface OpenOptions {
  /** Seed of the shuffling and flipping stream (default 0). */
  seed?: number;
  /** Packed files up to this many bytes are held in memory (default 2 GiB); larger ones are read per image. */
  memoryLimit?: number;
  /** Build the next batch in the background after each call (default true). */
  prefetch?: boolean;
}

/** Options for {@link Dataset.batch}. */
export interface BatchOptions {
  /** Mirror each image horizontally with probability 1/2 (default false). */
  flip?: boolean;
}

/** A batch of images, NHWC float32 in [-1, 1] (`x / 127.5 - 1`). */
export interface Batch {
  /** `size * res * res * 3` values. */
  data: Float32Array;
  /** `[size, res, res, 3]`. */
  shape: [number, number, number, number];
  /** Dataset index of each image. */
  indices: number[];
  /** Whether each image was mirrored. */
  flipped: boolean[];
}

const TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);

/** A prepared dataset opened for reading. */
export class Dataset {
  /** The folder it was opened from. */
  readonly dir: string;
  /** The parsed and checked `index.json`. */
  readonly index: DatasetIndex;
  #memoryLimit: number;
  #prefetchEnabled: boolean;
  #memory = new Map<number, Promise<Uint8Array>>();
  #files = new Map<number, Deno.FsFile>();
  #fileLock: Promise<unknown> = Promise.resolve();
  #sampler: Sampler;
  #prefetch: { key: string; before: Snapshot; batch: Promise<Batch>; start(): void } | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #building: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(dir: string, index: DatasetIndex, options: OpenOptions) {
    this.dir = dir;
    this.index = index;
    this.#memoryLimit = options.memoryLimit ?? 2 ** 31;
    this.#prefetchEnabled = options.prefetch ?? true;
    this.#sampler = new Sampler(index.count, options.seed ?? 0);
  }

  /**
   * Opens `dir`, checking `index.json` against the packed files (an error names the file and its
   * expected and actual sizes).
   *
   * @example
   * ```ts ignore
   * import { Dataset } from "./dataset.ts";
   * const data = await Dataset.open("data/emoji", { seed: 7 });
   * console.log(data.count, data.resolutions);
   * ```
   */
  static async open(dir: string, options: OpenOptions = {}): Promise<Dataset> {
    return new Dataset(dir, await readIndex(dir), options);
  }

  /** Number of images. */
  get count(): number {
    return this.index.count;
  }

  /** Available resolutions, ascending. */
  get resolutions(): number[] {
    return this.index.resolutions;
  }

  /** Epoch of the last batch handed out (0 during the first pass; not moved by prefetching). */
  get epoch(): number {
    return this.#prefetch?.before.epoch ?? this.#sampler.epoch;
  }

  /**
   * The sampler's position, to save with a training checkpoint.
   *
   * @example
   * ```ts ignore
   * const saved = JSON.stringify(data.state());
   * ```
   */
  state(): SamplerState {
    const s = this.#prefetch?.before ?? this.#sampler.snapshot();
    return { epoch: s.epoch, position: s.position, epochRng: [...s.epochRng], rng: [...s.rng] };
  }

  /**
   * Resumes sampling from {@link Dataset.state}: the following batches equal those that followed
   * when the state was saved.
   *
   * @example
   * ```ts ignore
   * data.setState(JSON.parse(saved));
   * ```
   */
  setState(state: SamplerState): void {
    this.#dropPrefetch();
    this.#sampler.setState(state);
  }

  /** Forgets the background batch and puts the sampler back to where the caller left it. */
  #dropPrefetch(): void {
    if (!this.#prefetch) return;
    clearTimeout(this.#timer);
    this.#sampler.rewind(this.#prefetch.before);
    this.#prefetch = null;
  }

  #check(resolution: number, size: number): void {
    if (!this.resolutions.includes(resolution)) {
      throw new RangeError(
        `Dataset ${this.dir} has no ${resolution} px images (it has ${
          this.resolutions.join(", ")
        })`,
      );
    }
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`Batch size must be a positive integer, got ${size}`);
    }
    if (this.count === 0) throw new RangeError(`Dataset ${this.dir} holds no images`);
  }

  /**
   * The next `size` images at `resolution` as NHWC float32 in [-1, 1].
   *
   * @example
   * ```ts ignore
   * const { data, shape } = await dataset.batch(64, 16, { flip: true }); // shape [16, 64, 64, 3]
   * ```
   */
  async batch(resolution: number, size: number, options: BatchOptions = {}): Promise<Batch> {
    this.#check(resolution, size);
    const flip = options.flip ?? false;
    const key = `${resolution}/${size}/${flip}`;
    let batch: Promise<Batch>;
    if (this.#prefetch?.key === key) {
      this.#prefetch.start();
      batch = this.#prefetch.batch;
    } else {
      this.#dropPrefetch();
      batch = this.#build(resolution, this.#sampler.draw(size, flip));
    }
    this.#prefetch = null;
    if (this.#prefetchEnabled) {
      const before = this.#sampler.snapshot();
      const draw = this.#sampler.draw(size, flip);
      // Built once the caller yields (e.g. while a training step awaits the backend), or at the
      // next call if that comes first.
      let start = (): void => {};
      const next = new Promise<Batch>((resolve, reject) => {
        let started = false;
        start = () => {
          if (started) return;
          started = true;
          clearTimeout(this.#timer);
          this.#timer = undefined;
          this.#building = this.#build(resolution, draw).then(resolve, reject);
        };
        this.#timer = setTimeout(start, 0);
      });
      next.catch(() => {}); // surfaced when the caller takes it
      this.#prefetch = { key, before, batch: next, start };
    }
    return await batch;
  }

  /**
   * Like {@link Dataset.batch}, as a `tf.Tensor4D` on the active backend (the caller disposes it).
   *
   * @example
   * ```ts ignore
   * const real = await dataset.batchTensor(32, 16, { flip: true });
   * ```
   */
  async batchTensor(
    resolution: number,
    size: number,
    options: BatchOptions = {},
  ): Promise<tf.Tensor4D> {
    const { data, shape } = await this.batch(resolution, size, options);
    return tf.tensor4d(data, shape);
  }

  /**
   * Raw bytes of the given images at `resolution`, concatenated (`indices.length x res x res x 3`,
   * uint8 RGB); does not touch the sampler.
   *
   * @example
   * ```ts ignore
   * const firstFour = await dataset.images(32, [0, 1, 2, 3]);
   * ```
   */
  async images(resolution: number, indices: number[]): Promise<Uint8Array> {
    if (this.#closed) throw new Error(`Dataset ${this.dir} is closed`);
    this.#check(resolution, 1);
    const bytes = imageBytes(resolution);
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= this.count) {
        throw new RangeError(`Image index ${i} is outside 0..${this.count - 1} in ${this.dir}`);
      }
    }
    const out = new Uint8Array(indices.length * bytes);
    const file = join(this.dir, this.index.files[String(resolution)]);
    if (this.count * bytes <= this.#memoryLimit) {
      let all = this.#memory.get(resolution);
      if (!all) {
        all = Deno.readFile(file);
        this.#memory.set(resolution, all);
      }
      const packed = await all;
      indices.forEach((i, k) => out.set(packed.subarray(i * bytes, (i + 1) * bytes), k * bytes));
      return out;
    }
    // One shared handle per resolution: serialize seek + read pairs.
    const read = this.#fileLock.then(async () => {
      let handle = this.#files.get(resolution);
      if (!handle) {
        handle = await Deno.open(file, { read: true });
        this.#files.set(resolution, handle);
      }
      for (let k = 0; k < indices.length; k++) {
        await handle.seek(indices[k] * bytes, Deno.SeekMode.Start);
        const target = out.subarray(k * bytes, (k + 1) * bytes);
        for (let got = 0; got < bytes;) {
          const n = await handle.read(target.subarray(got));
          if (n === null) {
            throw new Error(`Dataset file ${file} ended early at image ${indices[k]}`);
          }
          got += n;
        }
      }
    });
    this.#fileLock = read.catch(() => {});
    await read;
    return out;
  }

  async #build(resolution: number, draw: Draw): Promise<Batch> {
    const bytes = await this.images(resolution, draw.indices);
    const n = draw.indices.length;
    const data = new Float32Array(bytes.length);
    const row = resolution * 3;
    for (let k = 0; k < n; k++) {
      const base = k * resolution * row;
      if (!draw.flipped[k]) {
        for (let p = base; p < base + resolution * row; p++) data[p] = TO_UNIT[bytes[p]];
        continue;
      }
      for (let y = 0; y < resolution; y++) {
        const start = base + y * row;
        for (let x = 0; x < resolution; x++) {
          const to = start + x * 3;
          const from = start + (resolution - 1 - x) * 3;
          data[to] = TO_UNIT[bytes[from]];
          data[to + 1] = TO_UNIT[bytes[from + 1]];
          data[to + 2] = TO_UNIT[bytes[from + 2]];
        }
      }
    }
    return {
      data,
      shape: [n, resolution, resolution, 3],
      indices: draw.indices,
      flipped: draw.flipped,
    };
  }

  /**
   * Cancels or waits out the background batch, then releases open files and cached pixels.
   *
   * @example
   * ```ts ignore
   * await dataset.close();
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#building.catch(() => {});
    await this.#fileLock;
    for (const handle of this.#files.values()) handle.close();
    this.#files.clear();
    this.#memory.clear();
    this.#prefetch = null;
  }
}
