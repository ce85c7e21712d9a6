/**
 * The progressive StyleGAN trainer: one D step then one G step per iteration, Adam with betas
 * (0, 0.99), the mapping network at 0.01 x lr, style mixing regularization, an EMA generator,
 * and the progressive schedule, as the reference's `train.py` does it. Every random draw comes
 * from one seeded {@linkcode Rng}, so a run (and a resumed run) repeats exactly.
 *
 * Reals come at the current resolution as they are, like the reference's loader gives them: the
 * fade-in happens inside the networks (G's and D's skip paths weighted by alpha), not by blending
 * real images across resolutions as the official TensorFlow code does.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { maxResolution, type StyleGANConfig } from "../config.ts";
import type { Checkpoint } from "../io/checkpoint.ts";
import { Discriminator } from "../models/discriminator.ts";
import { StyledGenerator } from "../models/generator.ts";
import { Rng } from "../rng.ts";
import { accumulateGradients } from "./accumulate.ts";
import { Adam } from "./adam.ts";
import { discriminatorLoss, generatorLoss, type LossName } from "./losses.ts";
import {
  initialPosition,
  type IterationPlan,
  planIteration,
  type ScheduleOptions,
  type SchedulePosition,
} from "./schedule.ts";

/** Everything that shapes training besides the architecture. */
export interface TrainerOptions extends ScheduleOptions {
  /** GAN objective (default `r1`). */
  loss: LossName;
  /** R1 weight gamma (default 10). */
  r1Gamma: number;
  /** Style mixing regularization (Karras et al. 2019, section 3.1). */
  mixing: boolean;
  /** Probability of mixing two latents in a batch (0.9). */
  mixingProbability: number;
  /** EMA decay of the sampling generator (0.999). */
  emaDecay: number;
  /** Mapping network learning-rate multiplier (0.01). */
  mappingLrMultiplier: number;
  /** At most this many samples per forward/backward pass; larger batches accumulate gradients. */
  microBatch?: number;
  /**
   * Minibatch stddev group size. Default: the whole pass (the reference uses the whole batch;
   * with micro-batches that becomes each micro-batch). The official code uses 4.
   */
  stddevGroup?: number;
  /** Seed of every random draw. */
  seed: number;
}

/** Defaults: the reference's values, sized for a CPU (batch 16, 8 -> 32 px, 100k-image phases). */
export const DEFAULT_TRAINER_OPTIONS: TrainerOptions = {
  loss: "r1",
  r1Gamma: 10,
  mixing: true,
  mixingProbability: 0.9,
  emaDecay: 0.999,
  mappingLrMultiplier: 0.01,
  initSize: 8,
  maxSize: 32,
  phaseImages: 100_000,
  batch: 16,
  lr: 0.001,
  seed: 0,
};

/** Latents of a batch: one [N, styleDim] tensor, or two for style mixing. */
export type Latents = tf.Tensor2D | tf.Tensor2D[];

/** Explicit inputs of one training iteration (for tests and reproductions). */
export interface StepInputs {
  /** Real images [N, R, R, 3] in [-1, 1]. */
  real: tf.Tensor4D;
  /** Latents of the fakes D is trained on. */
  zD: Latents;
  /** Latents of the fakes G is trained on. */
  zG: Latents;
  /** Level: images are `4 * 2 ** step` px. */
  step: number;
  /** Fade-in weight of the new level (outside [0, 1): none). */
  alpha: number;
  /** Noise maps for every G forward (random when omitted). */
  noise?: tf.Tensor4D[];
  /** WGAN-GP interpolation weights [N, 1, 1, 1] (random when omitted). */
  eps?: tf.Tensor4D;
  /** Crossover level when a latent pair is given (random in [0, step) when omitted). */
  crossover?: number;
}

/** Losses of one iteration, as numbers. */
export interface StepStats {
  /** D's adversarial loss (reals + fakes). */
  dLoss: number;
  /** R1 penalty or gradient penalty (weighted). */
  penalty: number;
  /** G's loss. */
  gLoss: number;
}

/** What `iterate` did. */
export interface IterationStats extends StepStats {
  /** Iterations done, this one included. */
  iteration: number;
  /** Resolution trained, px. */
  resolution: number;
  /** Fade-in weight used. */
  alpha: number;
  /** Batch size used. */
  batch: number;
  /** Learning rate used. */
  lr: number;
  /** Real images shown so far. */
  imagesSeen: number;
  /** True when this iteration started a new resolution. */
  grew: boolean;
}

/**
 * Trains a StyledGenerator / Discriminator pair.
 *
 * @example Three iterations on random "reals"
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Trainer } from "./trainer.ts";
 * import { PRESETS } from "../config.ts";
 * const trainer = new Trainer({ config: PRESETS.tiny, options: { batch: 4, initSize: 8, maxSize: 8 } });
 * for (let i = 0; i < 3; i++) {
 *   await trainer.iterate((size, n) => tf.randomUniform([n, size, size, 3], -1, 1) as tf.Tensor4D);
 * }
 * trainer.dispose();
 * ```
 */
export class Trainer {
  /** Architecture. */
  readonly config: StyleGANConfig;
  /** Resolved options. */
  readonly options: TrainerOptions;
  /** The trained generator. */
  readonly g: StyledGenerator;
  /** The discriminator. */
  readonly d: Discriminator;
  /** Exponential moving average of `g`: the one to sample from. */
  readonly gEma: StyledGenerator;
  /** Adam over G (mapping at `mappingLrMultiplier` x lr). */
  readonly optG: Adam;
  /** Adam over D. */
  readonly optD: Adam;
  /** Source of every random draw. */
  rng: Rng;
  /** Position in the progressive schedule. */
  position: SchedulePosition;
  /** Iterations done. */
  iteration = 0;
  /** Real images shown to D so far. */
  imagesSeen = 0;

  /** New models (seeded from `options.seed`), EMA = G, zero Adam moments. */
  constructor(init: { config: StyleGANConfig; options?: Partial<TrainerOptions> }) {
    const options = { ...DEFAULT_TRAINER_OPTIONS, ...init.options };
    if (!init.options?.maxSize) {
      options.maxSize = Math.min(options.maxSize, maxResolution(init.config));
    }
    if (options.maxSize > maxResolution(init.config)) {
      throw new Error(
        `maxSize ${options.maxSize} exceeds the model's ${maxResolution(init.config)} px`,
      );
    }
    if (options.initSize > options.maxSize) {
      throw new Error(`initSize ${options.initSize} exceeds maxSize ${options.maxSize}`);
    }
    this.config = init.config;
    this.options = options;
    this.g = new StyledGenerator({ config: init.config, seed: options.seed });
    this.d = new Discriminator({ config: init.config, seed: options.seed + 1_000_003 });
    this.gEma = new StyledGenerator({ config: init.config, seed: options.seed });
    this.#copyToEma(0);
    this.optG = new Adam(this.g.namedParameters(), {
      lr: options.lr,
      lrMultiplier: (name) => (name.startsWith("style.") ? options.mappingLrMultiplier : 1),
    });
    this.optD = new Adam(this.d.namedParameters(), { lr: options.lr });
    this.rng = new Rng(options.seed);
    this.position = initialPosition(options);
  }

  /**
   * One reference training iteration on explicit inputs: D step (adversarial loss + penalty,
   * fakes from `zD`), then G step (fakes from `zG`, through the updated D), then the EMA update.
   */
  async step(inputs: StepInputs): Promise<StepStats> {
    const { real, step, alpha } = inputs;
    const batch = real.shape[0];
    const { loss, microBatch, stddevGroup } = this.options;
    const dOpts = { step, alpha, stddevGroup };
    const random = () => this.rng.next();
    const crossoverFor = (z: Latents) =>
      Array.isArray(z) && z.length > 1
        ? inputs.crossover ?? this.rng.int(Math.max(step, 1))
        : undefined;
    const slice = <T extends tf.Tensor>(t: T, start: number, size: number): T =>
      start === 0 && size === t.shape[0] ? t : tf.slice(t, start, size) as T;
    const latents = (z: Latents, start: number, size: number) =>
      (Array.isArray(z) ? z : [z]).map((zi) => slice(zi, start, size));
    const noiseFor = (start: number, size: number) =>
      inputs.noise?.slice(0, step + 1).map((n) => slice(n, start, size));

    // D step: fakes are drawn first and detached (G gets no gradient from it).
    const crossD = crossoverFor(inputs.zD);
    const eps = inputs.eps ??
      (loss === "wgan-gp"
        ? tf.tensor4d(Array.from({ length: batch }, random), [batch, 1, 1, 1])
        : undefined);
    const dParts = [tf.scalar(0), tf.scalar(0)];
    const dResult = accumulateGradients((start, size) => {
      const fake = tf.tidy(() =>
        this.g.apply(latents(inputs.zD, start, size), {
          step,
          alpha,
          noise: noiseFor(start, size),
          crossover: crossD,
          random,
        })
      );
      const terms = discriminatorLoss(loss, {
        critic: (x) => this.d.apply(x, dOpts),
        real: slice(real, start, size),
        fake,
        eps: eps && slice(eps, start, size),
        gamma: this.options.r1Gamma,
      });
      this.#accumulate(dParts, [terms.adversarial, terms.penalty], size / batch);
      return terms.total;
    }, { variables: this.d.variables(), batch, microBatch });
    this.optD.update(dResult.grads);
    tf.dispose([dResult.value, ...Object.values(dResult.grads)]);
    if (!inputs.eps) eps?.dispose();

    // G step through the updated D.
    const crossG = crossoverFor(inputs.zG);
    const gPart = [tf.scalar(0)];
    const gResult = accumulateGradients((start, size) => {
      const fake = this.g.apply(latents(inputs.zG, start, size), {
        step,
        alpha,
        noise: noiseFor(start, size),
        crossover: crossG,
        random,
      });
      const value = generatorLoss(loss, this.d.apply(fake, dOpts));
      this.#accumulate(gPart, [value], size / batch);
      return value;
    }, { variables: this.g.variables(), batch, microBatch });
    this.optG.update(gResult.grads);
    tf.dispose([gResult.value, ...Object.values(gResult.grads)]);
    this.#copyToEma(this.options.emaDecay);

    const [dLoss, penalty, gLoss] = await Promise.all(
      [...dParts, ...gPart].map(async (t) => (await t.data())[0]),
    );
    tf.dispose([...dParts, ...gPart]);
    return { dLoss, penalty, gLoss };
  }

  /** Adds `weight * terms` into `sums` (kept across the tidy scopes of variableGrads). */
  #accumulate(sums: tf.Scalar[], terms: tf.Scalar[], weight: number): void {
    terms.forEach((t, i) => {
      const next = tf.keep(tf.tidy(() => tf.add(sums[i], tf.mul(t, weight)) as tf.Scalar));
      sums[i].dispose();
      sums[i] = next;
    });
  }

  /** The schedule's values for the next iteration (without advancing). */
  plan(): IterationPlan {
    return planIteration(this.options, this.position).plan;
  }

  /**
   * One iteration of the progressive schedule: asks `fetchReal(resolution, batch)` for reals,
   * draws latents (a mixed pair with probability 0.9 when mixing is on), steps, advances.
   */
  async iterate(
    fetchReal: (resolution: number, batch: number) => tf.Tensor4D | Promise<tf.Tensor4D>,
  ): Promise<IterationStats> {
    const { plan, next } = planIteration(this.options, this.position);
    this.optG.lr = plan.lr;
    this.optD.lr = plan.lr;
    const real = await fetchReal(plan.resolution, plan.batch);
    if (real.shape[0] !== plan.batch || real.shape[1] !== plan.resolution) {
      throw new Error(
        `Expected reals [${plan.batch}, ${plan.resolution}, ${plan.resolution}, 3], got [${real.shape}]`,
      );
    }
    const draw = () => this.#latents(plan.batch);
    const mix = () => this.options.mixing && this.rng.next() < this.options.mixingProbability;
    const zD = mix() ? [draw(), draw()] : draw();
    const zG = mix() ? [draw(), draw()] : draw();
    const stats = await this.step({ real, zD, zG, step: plan.step, alpha: plan.alpha });
    tf.dispose([real, zD, zG].flat());
    this.position = next;
    this.iteration++;
    this.imagesSeen += plan.batch;
    return {
      ...stats,
      iteration: this.iteration,
      resolution: plan.resolution,
      alpha: plan.alpha,
      batch: plan.batch,
      lr: plan.lr,
      imagesSeen: this.imagesSeen,
      grew: plan.grew,
    };
  }

  /** N(0, 1) latents from the trainer's rng. */
  #latents(n: number): tf.Tensor2D {
    const dim = this.config.styleDim;
    const values = new Float32Array(n * dim);
    for (let i = 0; i < values.length; i++) values[i] = this.rng.normal();
    return tf.tensor2d(values, [n, dim]);
  }

  /** ema = decay * ema + (1 - decay) * g over parameters (the reference's `accumulate`). */
  #copyToEma(decay: number): void {
    const src = this.g.variables();
    tf.tidy(() => {
      this.gEma.variables().forEach((v, i) => {
        v.assign(decay === 0 ? src[i] : tf.add(tf.mul(v, decay), tf.mul(src[i], 1 - decay)));
      });
    });
  }

  /** Everything needed to resume: weights, EMA, Adam moments, schedule position, rng. */
  async toCheckpoint(): Promise<Checkpoint> {
    return {
      config: this.config,
      generator: await this.g.stateDict(),
      discriminator: await this.d.stateDict(),
      gRunning: await this.gEma.stateDict(),
      gOptimizer: await this.optG.state(),
      dOptimizer: await this.optD.state(),
      progress: {
        iteration: this.iteration,
        imagesSeen: this.imagesSeen,
        step: this.position.step,
        usedSample: this.position.usedSample,
        resolution: 4 * 2 ** this.position.step,
        alpha: this.plan().alpha,
        rng: this.rng.state(),
      },
      extra: { trainer: this.options },
    };
  }

  /**
   * Rebuilds a trainer from a checkpoint: ours (exact resume) or an imported reference file
   * (weights and Adam moments; the schedule restarts at `options.initSize` unless given).
   */
  static fromCheckpoint(ckpt: Checkpoint, options: Partial<TrainerOptions> = {}): Trainer {
    const saved = (ckpt.extra?.trainer ?? {}) as Partial<TrainerOptions>;
    const trainer = new Trainer({ config: ckpt.config, options: { ...saved, ...options } });
    if (!ckpt.generator || !ckpt.discriminator) {
      throw new Error("Checkpoint has no generator and discriminator to train");
    }
    trainer.g.loadStateDict(ckpt.generator);
    trainer.d.loadStateDict(ckpt.discriminator);
    trainer.gEma.loadStateDict(ckpt.gRunning ?? ckpt.generator);
    if (ckpt.gOptimizer) trainer.optG.load(ckpt.gOptimizer);
    if (ckpt.dOptimizer) trainer.optD.load(ckpt.dOptimizer);
    const p = ckpt.progress as Record<string, unknown> | undefined;
    if (p && typeof p.step === "number" && typeof p.usedSample === "number") {
      trainer.position = { step: p.step, usedSample: p.usedSample };
      trainer.iteration = Number(p.iteration ?? 0);
      trainer.imagesSeen = Number(p.imagesSeen ?? 0);
      if (Array.isArray(p.rng)) trainer.rng = Rng.fromState(p.rng as number[]);
    }
    return trainer;
  }

  /** Frees every variable. */
  dispose(): void {
    for (const m of [this.g, this.d, this.gEma]) tf.dispose(m.variables());
    this.optG.dispose();
    this.optD.dispose();
  }
}
