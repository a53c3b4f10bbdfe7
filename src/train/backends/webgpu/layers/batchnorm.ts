import type { NativeLayer } from "../../../../layers/index.js";
import { linear } from "../kernels.js";
import type { GpuLayer } from "./layer.js";

/** Batchnorm's uniform: rows (batch x cells), channels, epsilon, momentum, training. */
const normWords = (l: NativeLayer, n: number, train: boolean) => {
  const channels = l.channels as number;
  return [(n * l.in) / channels, channels, l.epsilon as number, l.momentum as number, train ? 1 : 0, 0, 0, 0];
};

/**
 * Batchnorm: gamma and beta trained, the moving mean and variance not (they follow the batch's
 * statistics in bnStats). Its own buffer keeps the batch's statistics for the backward pass.
 */
export const batchnorm: GpuLayer = {
  variables: [2, 2],
  buffers: (l) => ({ stats: 2 * (l.channels as number) * 4 }),
  forward({ k, l, n, x, y, w, own, train }) {
    const d = normWords(l, n, train);
    const channels: [number, number] = [l.channels as number, 1];
    return [
      ...(train ? [k.prepare("bnStats", [x, own("stats"), w(2), w(3)], d, channels, [2, 3])] : []),
      k.prepare("bnForward", [x, own("stats"), w(0), w(1), w(2), w(3), y], d, linear(n * l.out), [2, 3]),
    ];
  },
  backward({ k, l, n, x, gx, gy, w, g, own }) {
    const d = normWords(l, n, true);
    const stats = own("stats");
    return [
      k.prepare("bnGradParams", [gy, x, stats, g(0), g(1)], d, [l.channels as number, 1], [2, 3]),
      ...(gx
        ? [k.prepare("bnGradInput", [gy, x, stats, w(0), g(0), g(1), gx], d, linear(n * l.in), [2, 3])]
        : []),
    ];
  },
};
