/**
 * A fixed pool of preparer workers; `run` resolves with the job's result, in any order.
 *
 * Each worker takes up to `depth` jobs at once, so that one file's read overlaps another's decode.
 * A worker that dies (e.g. out of memory on a huge image) fails its jobs and is replaced.
 *
 * @module
 */

import type { WorkerJob, WorkerResult } from "./_worker.ts";

interface Slot {
  worker: Worker;
  pending: Map<number, (result: WorkerResult) => void>;
}

/** Runs {@link WorkerJob}s on `size` module workers. */
export class WorkerPool {
  #slots: Slot[] = [];
  #depth: number;

  constructor(size: number, depth = 2) {
    this.#depth = depth;
    for (let i = 0; i < size; i++) this.#slots.push(this.#spawn());
  }

  /** Jobs the pool accepts before `run` should wait (size x depth). */
  get capacity(): number {
    return this.#slots.length * this.#depth;
  }

  #spawn(): Slot {
    const worker = new Worker(new URL("./_worker.ts", import.meta.url), { type: "module" });
    const slot: Slot = { worker, pending: new Map() };
    worker.onmessage = (event: MessageEvent<WorkerResult>) => {
      const resolve = slot.pending.get(event.data.id);
      slot.pending.delete(event.data.id);
      resolve?.(event.data);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const index = this.#slots.indexOf(slot);
      worker.terminate();
      if (index >= 0) this.#slots[index] = this.#spawn();
      for (const [id, resolve] of slot.pending) {
        resolve({ id, error: `worker failed: ${event.message}` });
      }
      slot.pending.clear();
    };
    return slot;
  }

  /** Sends a job to the least busy worker. */
  run(job: WorkerJob): Promise<WorkerResult> {
    const slot = this.#slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    return new Promise((resolve) => {
      slot.pending.set(job.id, resolve);
      slot.worker.postMessage(job);
    });
  }

  /** Stops all workers. */
  close(): void {
    for (const slot of this.#slots) slot.worker.terminate();
    this.#slots = [];
  }
}
