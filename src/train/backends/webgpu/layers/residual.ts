import type { NativeLayer } from "../../../../layers/index.js";
import type { Window } from "../image-shaders.js";
import { windowWords } from "../image-shaders.js";
import { linear, perGroup } from "../kernels.js";
import type { GpuLayer, LayerContext } from "./layer.js";

/**
 * A residual block as the native step has it (native/layers/residual.cc): a fork where it starts
 * (its output is its input) and a join where it ends, which adds the fork's input, through a 1x1
 * convolution with the matching stride when the shapes differ, to the block's layers' output.
 * Going back the join hands its gradient to the layers as it is and keeps the shortcut's share in
 * its own buffer, which the fork adds to what the layers give it.
 */

/** The projection's window: a 1x1 convolution from the fork's input to the join's shape. */
const projection = (l: NativeLayer, n: number): Window => ({
  n,
  h: l.h as number,
  w: l.w as number,
  c: l.c as number,
  oh: l.oh as number,
  ow: l.ow as number,
  co: l.co as number,
  kh: 1,
  kw: 1,
  sh: l.stride as number,
  sw: l.stride as number,
  pt: 0,
  pl: 0,
  relu: false,
});

function partnerOf(c: LayerContext) {
  if (!c.partner) throw new Error(`webgpu: a residual's ${c.l.kind} without its pair`);
  return c.partner;
}

export const fork: GpuLayer = {
  variables: [0, 0],
  passThrough: true,
  forward: () => [],
  backward(c) {
    const { k, l, n, gx } = c;
    if (!gx) return [];
    return [k.prepare("addInto", [partnerOf(c).own("skip"), gx], [n * l.in, 0], linear(n * l.in))];
  },
};

export const join: GpuLayer = {
  variables: (l) => (l.project ? [2, 0] : [0, 0]),
  // The shortcut's gradient of the block's input: the fork's input's size, h x w x c.
  buffers: (l, cap) => ({ skip: cap * (l.h as number) * (l.w as number) * (l.c as number) * 4 }),
  forward(c) {
    const { k, l, n, x, y, w } = c;
    const from = partnerOf(c).x;
    const size = n * l.out;
    if (!l.project) return [k.prepare("add", [x, from, y], [size, 0], linear(size))];
    return [
      k.prepare("convForward", [from, w(0), w(1), y], windowWords(projection(l, n)), linear(size)),
      k.prepare("addInto", [x, y], [size, 0], linear(size)),
    ];
  },
  backward(c) {
    const { k, l, n, gx, gy, g, w, own } = c;
    const p = partnerOf(c);
    const size = n * l.out;
    const below = n * (l.h as number) * (l.w as number) * (l.c as number);
    const out = gx ? [k.prepare("copy", [gy, gx], [size, 0], linear(size))] : [];
    if (!l.project)
      return [
        ...out,
        ...(p.inputGrad ? [k.prepare("copy", [gy, own("skip")], [size, 0], linear(size))] : []),
      ];
    const win = projection(l, n);
    const words = windowWords(win);
    return [
      ...out,
      k.prepare("convGradFilter", [p.x, gy, g(0)], words, perGroup(win.c * win.co)),
      k.prepare("sumRows", [gy, g(1)], [n * win.oh * win.ow, win.co], perGroup(win.co)),
      ...(p.inputGrad ? [k.prepare("convGradInput", [gy, w(0), own("skip")], words, linear(below))] : []),
    ];
  },
};
