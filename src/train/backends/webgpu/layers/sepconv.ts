import { windowWords } from "../image-shaders.js";
import { linear, perGroup } from "../kernels.js";
import { type GpuLayer, windowOf } from "./layer.js";

/**
 * A separable convolution: the depthwise convolution into its own buffer `mid`, then the pointwise
 * 1x1 convolution as a matrix product over the batch's pixels, its bias and relu (when it has it).
 */
export const sepconv: GpuLayer = {
  variables: [3, 0],
  buffers: (l, cap) => {
    const mid = cap * (l.oh as number) * (l.ow as number) * (l.c as number) * (l.multiplier as number) * 4;
    return { mid, gmid: mid };
  },
  forward({ k, l, n, x, y, w, own }) {
    const win = { ...windowOf(l, n), mult: l.multiplier as number };
    const rows = n * win.oh * win.ow;
    const maps = win.c * (win.mult as number);
    const mm = k.matmulDims({ m: rows, n: win.co, k: maps });
    return [
      k.prepare("depthwise", [x, w(0), own("mid")], windowWords(win), linear(rows * maps)),
      k.prepare("matmul", [own("mid"), w(1), y], mm.dims, mm.groups),
      k.prepare("biasAct", [y, w(2)], [n * l.out, win.co, l.relu ? 1 : 0], linear(n * l.out)),
    ];
  },
  backward({ k, l, n, x, y, gx, gy, w, g, own }) {
    const win = { ...windowOf(l, n), mult: l.multiplier as number };
    const words = windowWords(win);
    const rows = n * win.oh * win.ow;
    const maps = win.c * (win.mult as number);
    const gp = k.matmulDims({ m: maps, n: win.co, k: rows, transA: true });
    const gm = k.matmulDims({ m: rows, n: maps, k: win.co, transB: true });
    return [
      ...(l.relu ? [k.prepare("reluGrad", [gy, y], [n * l.out], linear(n * l.out))] : []),
      k.prepare("matmul", [own("mid"), gy, g(1)], gp.dims, gp.groups),
      k.prepare("sumRows", [gy, g(2)], [rows, win.co], perGroup(win.co)),
      k.prepare("matmul", [gy, w(1), own("gmid")], gm.dims, gm.groups),
      k.prepare("depthwiseGradFilter", [x, own("gmid"), g(0)], words, perGroup(win.kh * win.kw * maps)),
      ...(gx ? [k.prepare("depthwiseGradInput", [own("gmid"), w(0), gx], words, linear(n * l.in))] : []),
    ];
  },
};
