import { linear } from "../kernels.js";
import type { GpuLayer } from "./layer.js";

/** Dropout: masks hashed from the seed, the step and the unit in training (step-shaders.ts), kept for the gradient. */
export const dropout: GpuLayer = {
  variables: [0, 0],
  buffers: (l, cap) => ({ mask: cap * l.out * 4 }),
  forward: ({ k, l, n, x, y, own, cursor, seed, index, train }) => [
    k.prepare(
      "dropout",
      [x, y, own("mask"), cursor],
      // Each dropout layer's own seed: two layers never drop the same units together.
      [n * l.out, (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0, l.rate as number, train ? 1 : 0],
      linear(n * l.out),
      [2],
    ),
  ],
  backward: ({ k, l, n, gx, gy, own }) =>
    gx ? [k.prepare("dropoutGrad", [gy, own("mask"), gx], [n * l.out], linear(n * l.out))] : [],
};

/** A flatten: NHWC images are already rows, so its output is its input. */
export const flatten: GpuLayer = {
  variables: [0, 0],
  passThrough: true,
  forward: () => [],
  backward: () => [],
};
