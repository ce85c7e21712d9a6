/**
 * Progressive growing schedule (Karras et al. 2018, section 3): at each resolution a fade-in
 * phase then a stable phase, each measured in images, with per-resolution batch sizes and
 * learning rates. Same arithmetic as the reference's training loop.
 *
 * @module
 */

/** How the resolution, batch and learning rate evolve. */
export interface ScheduleOptions {
  /** First resolution trained (the reference: 8). */
  initSize: number;
  /** Last resolution; training stays there once reached. */
  maxSize: number;
  /** Images per phase; fade-in and stable phases each take this many (the reference: 600k). */
  phaseImages: number;
  /** Batch size where `batchSchedule` has no entry (the reference: 32). */
  batch: number;
  /** Batch size per resolution. */
  batchSchedule?: Record<number, number>;
  /** Learning rate where `lrSchedule` has no entry (the reference: 0.001). */
  lr: number;
  /** Learning rate per resolution. */
  lrSchedule?: Record<number, number>;
}

/** The reference's `--sched` tables. */
export const REFERENCE_SCHEDULE: Pick<ScheduleOptions, "batchSchedule" | "lrSchedule"> = {
  lrSchedule: { 128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003 },
  batchSchedule: { 4: 512, 8: 256, 16: 128, 32: 64, 64: 32, 128: 32, 256: 32 },
};

/** Where training is: level, images into the current resolution, and the derived values. */
export interface SchedulePosition {
  /** Level: resolution is `4 * 2 ** step`. */
  step: number;
  /** Images shown at this resolution so far (the reference's `used_sample`). */
  usedSample: number;
}

/** Values for the next iteration. */
export interface IterationPlan {
  /** Level. */
  step: number;
  /** `4 * 2 ** step` px. */
  resolution: number;
  /** Fade-in weight. */
  alpha: number;
  /** Batch size. */
  batch: number;
  /** Learning rate. */
  lr: number;
  /** True when this iteration starts a new resolution. */
  grew: boolean;
}

/**
 * Plans the next iteration and returns the position after it (pure function).
 *
 * @example
 * ```ts
 * import { planIteration } from "./schedule.ts";
 * const opts = { initSize: 8, maxSize: 32, phaseImages: 100, batch: 16, lr: 1e-3 };
 * const { plan } = planIteration(opts, { step: 1, usedSample: 0 });
 * console.log(plan.resolution, plan.alpha); // 8 0.01
 * ```
 */
export function planIteration(
  options: ScheduleOptions,
  position: SchedulePosition,
): { plan: IterationPlan; next: SchedulePosition } {
  const maxStep = Math.log2(options.maxSize) - 2;
  let { step, usedSample } = position;
  let alpha = Math.min(1, (usedSample + 1) / options.phaseImages);
  let grew = false;
  if (usedSample > options.phaseImages * 2) {
    if (step < maxStep) {
      step += 1;
      alpha = 0;
      usedSample = 0;
      grew = true;
    }
  }
  const resolution = 4 * 2 ** step;
  const batch = options.batchSchedule?.[resolution] ?? options.batch;
  const lr = options.lrSchedule?.[resolution] ?? options.lr;
  return {
    plan: { step, resolution, alpha, batch, lr, grew },
    next: { step, usedSample: usedSample + batch },
  };
}

/** The starting position for `initSize`. */
export function initialPosition(options: Pick<ScheduleOptions, "initSize">): SchedulePosition {
  const step = Math.log2(options.initSize) - 2;
  if (!Number.isInteger(step) || step < 0) {
    throw new Error(`initSize must be a power of two >= 4, got ${options.initSize}`);
  }
  return { step, usedSample: 0 };
}
