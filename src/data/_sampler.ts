/**
 * The loader's index sampler: a seeded shuffle per epoch, optional flips from the same stream,
 * cheap snapshots (to undo a prefetch) and a JSON-safe state (to resume a training run).
 *
 * @module
 */

import { Rng } from "../rng.ts";

/** Where the sampler stands; `Dataset.setState` resumes from it exactly. */
export interface SamplerState {
  /** Epochs started so far minus one (0 during the first). */
  epoch: number;
  /** Images of this epoch already handed out. */
  position: number;
  /** Generator state just before this epoch's shuffle. */
  epochRng: number[];
  /** Current generator state. */
  rng: number[];
}

/** The images of one batch and whether each is mirrored. */
export interface Draw {
  indices: number[];
  flipped: boolean[];
}

/** A state plus this epoch's order (epochs replace the order array, never mutate it). */
export interface Snapshot extends SamplerState {
  order: Uint32Array;
}

/** Epoch-shuffled sampling of `count` indices. */
export class Sampler {
  readonly count: number;
  #rng: Rng;
  #order: Uint32Array = new Uint32Array(0);
  #epoch = -1;
  #position = 0;
  #epochRng: number[] = [];

  constructor(count: number, seed: number) {
    this.count = count;
    this.#rng = new Rng(seed);
    if (count > 0) this.#startEpoch();
  }

  get epoch(): number {
    return this.#epoch;
  }

  #startEpoch(): void {
    this.#epochRng = this.#rng.state();
    const order = new Uint32Array(this.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    this.#order = this.#rng.shuffle(order);
    this.#epoch++;
    this.#position = 0;
  }

  /** The next `size` indices (starting a new epoch when one runs out), each flipped with p = 1/2 if `flip`. */
  draw(size: number, flip: boolean): Draw {
    const indices: number[] = [];
    const flipped: boolean[] = [];
    for (let k = 0; k < size; k++) {
      if (this.#position === this.#order.length) this.#startEpoch();
      indices.push(this.#order[this.#position++]);
      flipped.push(flip ? this.#rng.next() < 0.5 : false);
    }
    return { indices, flipped };
  }

  snapshot(): Snapshot {
    return {
      order: this.#order,
      epoch: this.#epoch,
      position: this.#position,
      epochRng: this.#epochRng,
      rng: this.#rng.state(),
    };
  }

  rewind(s: Snapshot): void {
    this.#order = s.order;
    this.#epoch = s.epoch;
    this.#position = s.position;
    this.#epochRng = s.epochRng;
    this.#rng = Rng.fromState(s.rng);
  }

  /** Rebuilds the epoch's order from its generator state, then continues from `state`. */
  setState(state: SamplerState): void {
    this.#rng = Rng.fromState(state.epochRng);
    this.#epoch = state.epoch - 1;
    this.#startEpoch();
    if (!Number.isInteger(state.position) || state.position < 0 || state.position > this.count) {
      throw new RangeError(`Sampler position ${state.position} is outside 0..${this.count}`);
    }
    this.#position = state.position;
    this.#rng = Rng.fromState(state.rng);
  }
}
