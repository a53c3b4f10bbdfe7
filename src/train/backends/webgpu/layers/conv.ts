import { windowWords } from "../image-shaders.js";
import { linear, perGroup } from "../kernels.js";
import { type GpuLayer, windowOf } from "./layer.js";

/** A convolution with its bias and relu (when the layer has it), and its gradients. */
export const conv: GpuLayer = {
  variables: [2, 0],
  forward: ({ k, l, n, x, y, w }) => [
    k.prepare("convForward", [x, w(0), w(1), y], windowWords(windowOf(l, n)), linear(n * l.out)),
  ],
  backward({ k, l, n, x, y, gx, gy, w, g }) {
    const win = windowOf(l, n);
    const words = windowWords(win);
    return [
      ...(l.relu ? [k.prepare("reluGrad", [gy, y], [n * l.out], linear(n * l.out))] : []),
      k.prepare("convGradFilter", [x, gy, g(0)], words, perGroup(win.kh * win.kw * win.c * win.co)),
      k.prepare("sumRows", [gy, g(1)], [n * win.oh * win.ow, win.co], perGroup(win.co)),
      ...(gx ? [k.prepare("convGradInput", [gy, w(0), gx], words, linear(n * l.in))] : []),
    ];
  },
};
