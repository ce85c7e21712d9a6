/**
 * The reference's two GAN objectives.
 *
 * - `r1`: non-saturating logistic loss (Goodfellow et al. 2014) with the R1 penalty on reals
 *   (Mescheder et al. 2018), gamma 10: `gamma / 2 * mean ||∇x D(real)||²`.
 * - `wgan-gp`: Wasserstein loss with gradient penalty (Gulrajani et al. 2017), lambda 10, on
 *   `eps * real + (1 - eps) * fake` with one eps per sample, plus the drift term 0.001 D(real)²
 *   (Progressive GAN, section A.1).
 *
 * Penalties differentiate a gradient, so they rely on D being twice differentiable.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Name of a GAN objective. */
export type LossName = "r1" | "wgan-gp";

/** D as the losses see it: images -> scores [N, 1]. */
export type Critic = (images: tf.Tensor4D) => tf.Tensor2D;

/** D's loss terms (scalars). `total` is what the optimizer minimizes. */
export interface DiscriminatorLoss {
  /** Everything together. */
  total: tf.Scalar;
  /** The adversarial part (reals + fakes). */
  adversarial: tf.Scalar;
  /** R1 or the gradient penalty (already weighted). */
  penalty: tf.Scalar;
}

/** Squared L2 norm of ∇x sum(D(x)) per sample: [N]. */
function gradientNormSq(critic: Critic, x: tf.Tensor4D): tf.Tensor1D {
  const grad = tf.grad((xi: tf.Tensor) => tf.sum(critic(xi as tf.Tensor4D)))(x);
  return tf.sum(tf.square(grad), [1, 2, 3]) as tf.Tensor1D;
}

/**
 * D's loss on a batch of reals and (detached) fakes.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { discriminatorLoss } from "./losses.ts";
 * const critic = (x: tf.Tensor4D) => tf.reshape(tf.mean(x, [1, 2, 3]), [-1, 1]) as tf.Tensor2D;
 * const real = tf.randomNormal([2, 4, 4, 3]) as tf.Tensor4D;
 * const fake = tf.randomNormal([2, 4, 4, 3]) as tf.Tensor4D;
 * const { total } = discriminatorLoss("r1", { critic, real, fake });
 * ```
 */
export function discriminatorLoss(
  loss: LossName,
  inputs: {
    critic: Critic;
    real: tf.Tensor4D;
    fake: tf.Tensor4D;
    /** WGAN-GP's interpolation weights [N, 1, 1, 1] in [0, 1). */
    eps?: tf.Tensor4D;
    /** R1 weight (default 10). */
    gamma?: number;
  },
): DiscriminatorLoss {
  const { critic, real, fake, eps, gamma = 10 } = inputs;
  return tf.tidy(() => {
    const realScore = critic(real);
    const fakeScore = critic(fake);
    let adversarial: tf.Scalar;
    let penalty: tf.Scalar;
    if (loss === "r1") {
      adversarial = tf.add(
        tf.mean(tf.softplus(tf.neg(realScore))),
        tf.mean(tf.softplus(fakeScore)),
      );
      penalty = tf.mul(gamma / 2, tf.mean(gradientNormSq(critic, real)));
    } else {
      if (!eps) throw new Error("wgan-gp needs eps, one interpolation weight per sample");
      const drift = tf.mul(0.001, tf.mean(tf.square(realScore)));
      adversarial = tf.add(tf.sub(tf.mean(fakeScore), tf.mean(realScore)), drift);
      const mixed = tf.add(tf.mul(eps, real), tf.mul(tf.sub(1, eps), fake)) as tf.Tensor4D;
      const norm = tf.sqrt(gradientNormSq(critic, mixed));
      penalty = tf.mul(10, tf.mean(tf.square(tf.sub(norm, 1))));
    }
    return { total: tf.add(adversarial, penalty) as tf.Scalar, adversarial, penalty };
  });
}

/**
 * G's loss on D's scores of fakes: softplus(-D) for `r1`, -D for `wgan-gp`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { generatorLoss } from "./losses.ts";
 * generatorLoss("r1", tf.tensor2d([[0.5], [-1]])).print();
 * ```
 */
export function generatorLoss(loss: LossName, fakeScore: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() =>
    loss === "r1" ? tf.mean(tf.softplus(tf.neg(fakeScore))) : tf.neg(tf.mean(fakeScore))
  );
}
