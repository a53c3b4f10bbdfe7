import { linear, perGroup } from "../kernels.js";
import type { GpuLayer } from "./layer.js";

/** A dense layer: a matrix product, its bias and relu (when it has it), and its gradients. */
export const dense: GpuLayer = {
  variables: [2, 0],
  forward({ k, l, n, x, y, w }) {
    const mm = k.matmulDims({ m: n, n: l.out, k: l.in });
    return [
      k.prepare("matmul", [x, w(0), y], mm.dims, mm.groups),
      k.prepare("biasAct", [y, w(1)], [n * l.out, l.out, l.relu ? 1 : 0], linear(n * l.out)),
    ];
  },
  backward({ k, l, n, x, y, gx, gy, w, g }) {
    const gw = k.matmulDims({ m: l.in, n: l.out, k: n, transA: true });
    const gi = k.matmulDims({ m: n, n: l.in, k: l.out, transB: true });
    return [
      ...(l.relu ? [k.prepare("reluGrad", [gy, y], [n * l.out], linear(n * l.out))] : []),
      k.prepare("matmul", [x, gy, g(0)], gw.dims, gw.groups),
      k.prepare("sumRows", [gy, g(1)], [n, l.out], perGroup(l.out)),
      ...(gx ? [k.prepare("matmul", [gy, w(0), gx], gi.dims, gi.groups)] : []),
    ];
  },
};
