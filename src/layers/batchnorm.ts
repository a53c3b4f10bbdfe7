import { z } from "zod";
import type { LayerKind, Tensor, Variable } from "./layer.js";
import { fail, readArgs } from "./options.js";
import { fraction } from "./schema.js";

/** Keras' BatchNormalization over the last axis: gamma, beta, moving mean and variance. */
export interface BatchNormSpec {
  type: "batchnorm";
  momentum: number;
  epsilon: number;
}

const channelsOf = (input: number[]) => input[input.length - 1] ?? 0;

export const batchnorm: LayerKind<BatchNormSpec> = {
  type: "batchnorm",
  usage: "batchnorm",
  words: ["batchnorm"],
  schema: z.strictObject({
    type: z.literal("batchnorm"),
    momentum: fraction,
    epsilon: z.number().positive(),
  }),
  parse(ref) {
    if (ref.name.value !== "batchnorm") return undefined;
    const opts = readArgs(ref, ["momentum", "epsilon"]);
    if ("code" in opts) return fail(opts);
    // Keras' defaults.
    return {
      ok: true,
      layer: { type: "batchnorm", momentum: opts.momentum ?? 0.99, epsilon: opts.epsilon ?? 1e-3 },
    };
  },
  shape(_, input) {
    const c = channelsOf(input);
    // Gamma and beta are trained; the moving mean and variance are not.
    return { output: input, row: { type: "BatchNormalization", params: 4 * c, trainable: 2 * c } };
  },
  weights(_, input) {
    const c = channelsOf(input);
    return [
      { name: "gamma", shape: [c], init: { constant: 1 }, trainable: true },
      { name: "beta", shape: [c], init: { constant: 0 }, trainable: true },
      { name: "moving_mean", shape: [c], init: { constant: 0 }, trainable: false },
      { name: "moving_variance", shape: [c], init: { constant: 1 }, trainable: false },
    ];
  },
  forward(l, x, ctx) {
    const { tf } = ctx;
    const [gamma, beta, movingMean, movingVariance] = ctx.weights as [Variable, Variable, Variable, Variable];
    if (!ctx.training) return tf.batchNorm(x, movingMean, movingVariance, beta, gamma, l.epsilon);
    const { mean, variance } = tf.moments(
      x,
      x.shape.slice(0, -1).map((_, k) => k),
    );
    const kept: Tensor[] = [tf.keep(mean), tf.keep(variance)];
    // Keras' update of the moving statistics, after the optimizer's step.
    ctx.afterStep(() => {
      const m = l.momentum;
      tf.tidy(() => {
        movingMean.assign(tf.add(tf.mul(movingMean, m), tf.mul(mean, 1 - m)));
        movingVariance.assign(tf.add(tf.mul(movingVariance, m), tf.mul(variance, 1 - m)));
      });
      tf.dispose(kept);
    });
    return tf.batchNorm(x, mean, variance, beta, gamma, l.epsilon);
  },
  keras: (l) => [{ layer: "batchNormalization", config: { momentum: l.momentum, epsilon: l.epsilon } }],
  native: (l, input, output) => ({
    kind: "batchnorm",
    in: input.reduce((a, b) => a * b, 1),
    out: output.reduce((a, b) => a * b, 1),
    channels: channelsOf(input),
    epsilon: l.epsilon,
    momentum: l.momentum,
  }),
};
