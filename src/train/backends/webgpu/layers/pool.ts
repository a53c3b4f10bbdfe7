import type { NativeLayer } from "../../../../layers/index.js";
import { type Window, windowWords } from "../image-shaders.js";
import { linear } from "../kernels.js";
import { type GpuLayer, windowOf } from "./layer.js";

/** Max pooling: the window's first maximum, kept (`arg`) for the gradient. */
export const maxpool: GpuLayer = {
  variables: [0, 0],
  buffers: (l, cap) => ({ arg: cap * l.out * 4 }),
  forward: ({ k, l, n, x, y, own }) => [
    k.prepare("maxPool", [x, y, own("arg")], windowWords(windowOf(l, n)), linear(n * l.out)),
  ],
  backward: ({ k, l, n, gx, gy, own }) =>
    gx ? [k.prepare("maxPoolGrad", [gy, own("arg"), gx], windowWords(windowOf(l, n)), linear(n * l.in))] : [],
};

/** Average pooling over the window's pixels inside the image. */
export const avgpool: GpuLayer = {
  variables: [0, 0],
  forward: ({ k, l, n, x, y }) => [
    k.prepare("avgPool", [x, y], windowWords(windowOf(l, n)), linear(n * l.out)),
  ],
  backward: ({ k, l, n, gx, gy }) =>
    gx ? [k.prepare("avgPoolGrad", [gy, gx], windowWords(windowOf(l, n)), linear(n * l.in))] : [],
};

/** A global pool as a window over the whole image: cells = h x w, c channels. */
const globalWindow = (l: NativeLayer, n: number): Window => {
  const c = l.out;
  const cells = l.cells as number;
  return { n, h: cells, w: 1, c, co: c, oh: 1, ow: 1, kh: cells, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0 };
};

/** Global average pooling: each channel's mean over the image. */
export const globalpool: GpuLayer = {
  variables: [0, 0],
  forward: ({ k, l, n, x, y }) => [
    k.prepare("globalPool", [x, y], windowWords(globalWindow(l, n)), linear(n * l.out)),
  ],
  backward: ({ k, l, n, gx, gy }) =>
    gx ? [k.prepare("globalPoolGrad", [gy, gx], windowWords(globalWindow(l, n)), linear(n * l.in))] : [],
};
