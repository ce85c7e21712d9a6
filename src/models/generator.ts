/**
 * The style-based generator: mapping network + progressive synthesis network, with the
 * reference's progressive fade-in, style mixing, noise and truncation.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type StyleGANConfig, validateConfig } from "../config.ts";
import { EqualConv2d } from "../layers/equalized.ts";
import { Initializer } from "../layers/init.ts";
import { Module } from "../layers/module.ts";
import { StyledConv } from "../layers/style.ts";
import { upsample2x } from "../ops/resample.ts";
import { MappingNetwork } from "./mapping.ts";

/** How to synthesize: resolution, fade-in, noise, style mixing, truncation. */
export interface SynthesisOptions {
  /** Level to stop at: output is `4 * 2 ** step` px. Default: the top level. */
  step?: number;
  /** Fade-in weight of the new level; outside [0, 1) (default -1) means no fade-in. */
  alpha?: number;
  /** Noise per level, [N, 4 * 2 ** i, 4 * 2 ** i, 1]; drawn at random when omitted. */
  noise?: tf.Tensor4D[];
  /** With two styles: levels lo..hi (inclusive) use the second style, the others the first. */
  mixingRange?: [number, number];
  /** With two styles and no range: levels above `crossover` use the second (the reference draws it in [0, step)). */
  crossover?: number;
  /** Truncation: w' = mean + styleWeight * (w - mean) ... */
  meanStyle?: tf.Tensor2D;
  /** ... with this psi (the reference's `style_weight`). */
  styleWeight?: number;
  /** ... applied to levels below this one only (the official code's truncation cutoff). Default: all. */
  truncationCutoff?: number;
  /** Uniform [0, 1) source for random noise seeds and the random crossover. Default `Math.random`. */
  random?: () => number;
}

/**
 * The synthesis network (the reference's `Generator`): a StyledConv per level and a 1x1
 * `to_rgb` per level. Keys `progression.{i}.*`, `to_rgb.{i}.conv.*`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Synthesis } from "./generator.ts";
 * import { PRESETS } from "../config.ts";
 * import { Initializer } from "../layers/init.ts";
 * const g = new Synthesis({ config: PRESETS.tiny, init: new Initializer(0) });
 * console.log(g.apply([tf.randomNormal([2, 64])], { step: 1 }).shape); // [2, 8, 8, 3]
 * ```
 */
export class Synthesis extends Module {
  /** One block per level. */
  readonly progression: StyledConv[] = [];
  /** One 1x1 convolution to RGB per level. */
  readonly toRgb: EqualConv2d[] = [];

  /** Builds the levels of `config`. */
  constructor(options: { config: StyleGANConfig; init: Initializer }) {
    super();
    const { config, init } = options;
    const ch = config.gChannels;
    ch.forEach((c, i) => {
      this.progression.push(this.child(
        `progression.${i}`,
        new StyledConv({
          inChannels: i === 0 ? c : ch[i - 1],
          outChannels: c,
          styleDim: config.styleDim,
          initial: i === 0,
          upsample: i > 0,
          fused: config.gFused[i],
          init,
        }),
      ));
    });
    ch.forEach((c, i) => {
      this.toRgb.push(
        this.child(
          `to_rgb.${i}`,
          new EqualConv2d({ inChannels: c, outChannels: 3, kernel: 1, init }),
        ),
      );
    });
  }

  /** Styles (one or two w batches [N, styleDim]) -> images [N, R, R, 3]. */
  apply(styles: tf.Tensor2D[], options: SynthesisOptions = {}): tf.Tensor4D {
    const levels = this.progression.length;
    const { step = levels - 1, alpha = -1, random = Math.random } = options;
    if (!Number.isInteger(step) || step < 0 || step >= levels) {
      throw new Error(`Generator step must be an integer in [0, ${levels - 1}], got ${step}`);
    }
    if (styles.length < 1 || styles.length > 2) {
      throw new Error(`Generator takes one or two styles, got ${styles.length}`);
    }
    const batch = styles[0].shape[0];
    const noise = options.noise ?? [];
    for (let i = 0; i <= step; i++) {
      const size = 4 * 2 ** i;
      const n = noise[i];
      if (
        n &&
        (n.shape[0] !== batch || n.shape[1] !== size || n.shape[2] !== size || n.shape[3] !== 1)
      ) {
        throw new Error(`Noise ${i} expected [${batch}, ${size}, ${size}, 1], got [${n.shape}]`);
      }
    }
    const crossover = options.crossover ?? Math.floor(random() * step);
    return tf.tidy(() => {
      const styleAt = (i: number) => {
        if (styles.length === 1) return styles[0];
        const [lo, hi] = options.mixingRange ?? [crossover + 1, levels];
        return lo <= i && i <= hi ? styles[1] : styles[0];
      };
      let out = tf.zeros([batch, 1, 1, 1]) as tf.Tensor4D; // only its batch size is read at level 0
      let prev = out;
      for (let i = 0; i <= step; i++) {
        const size = 4 * 2 ** i;
        const n = noise[i] ??
          tf.randomNormal([batch, size, size, 1], 0, 1, "float32", seedFrom(random)) as tf.Tensor4D;
        prev = out;
        out = this.progression[i].apply(out, styleAt(i), n);
      }
      const rgb = this.toRgb[step].apply(out);
      if (step > 0 && alpha >= 0 && alpha < 1) {
        const skip = upsample2x(this.toRgb[step - 1].apply(prev));
        return tf.add(tf.mul(skip, 1 - alpha), tf.mul(rgb, alpha)) as tf.Tensor4D;
      }
      return rgb;
    });
  }
}

function seedFrom(random: () => number): number {
  return Math.floor(random() * 2 ** 31);
}

/**
 * The full StyleGAN generator (the reference's `StyledGenerator`): keys `generator.*` (synthesis)
 * and `style.*` (mapping).
 *
 * @example Generate 4 images at 16 px with truncation
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { StyledGenerator } from "./generator.ts";
 * import { PRESETS } from "../config.ts";
 * const g = new StyledGenerator({ config: PRESETS.tiny, seed: 1 });
 * const mean = g.meanStyle(tf.randomNormal([256, 64]));
 * const images = g.apply(tf.randomNormal([4, 64]), { step: 2, meanStyle: mean, styleWeight: 0.7 });
 * console.log(images.shape); // [4, 16, 16, 3]
 * ```
 */
export class StyledGenerator extends Module {
  /** Architecture. */
  readonly config: StyleGANConfig;
  /** Synthesis network. */
  readonly synthesis: Synthesis;
  /** Mapping network. */
  readonly mapping: MappingNetwork;

  /** Builds a generator with seeded N(0, 1) weights (registration order as the reference). */
  constructor(options: { config: StyleGANConfig; seed?: number }) {
    super();
    const { config, seed = 0 } = options;
    validateConfig(config);
    this.config = config;
    const init = new Initializer(seed);
    this.synthesis = this.child("generator", new Synthesis({ config, init }));
    this.mapping = this.child(
      "style",
      new MappingNetwork({ styleDim: config.styleDim, nMlp: config.nMlp, init }),
    );
  }

  /** One latent batch z [N, styleDim], or two for style mixing -> images [N, R, R, 3] in about [-1, 1]. */
  apply(z: tf.Tensor2D | tf.Tensor2D[], options: SynthesisOptions = {}): tf.Tensor4D {
    const zs = Array.isArray(z) ? z : [z];
    return tf.tidy(() => this.synthesize(zs.map((zi) => this.mapping.apply(zi)), options));
  }

  /** Synthesis from w (e.g. interpolated in W), with truncation applied as in `apply`. */
  synthesize(styles: tf.Tensor2D[], options: SynthesisOptions = {}): tf.Tensor4D {
    const { meanStyle, styleWeight = 0, truncationCutoff } = options;
    if (!meanStyle) return this.synthesis.apply(styles, options);
    return tf.tidy(() => {
      const truncated = styles.map((w) =>
        tf.add(meanStyle, tf.mul(tf.sub(w, meanStyle), styleWeight)) as tf.Tensor2D
      );
      if (truncationCutoff === undefined) return this.synthesis.apply(truncated, options);
      // Levels below the cutoff take the truncated style, the others the original: express as mixing.
      if (styles.length !== 1) throw new Error("A truncation cutoff works with one style only");
      return this.synthesis.apply([styles[0], truncated[0]], {
        ...options,
        mixingRange: [0, truncationCutoff - 1],
      });
    });
  }

  /** The mean of the mapped latents, [1, styleDim] (the reference averages 10 x 1024 of them). */
  meanStyle(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.mean(this.mapping.apply(z), 0, true) as tf.Tensor2D);
  }
}
