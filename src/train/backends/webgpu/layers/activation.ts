import type { NativeLayer } from "../../../../layers/index.js";
import { linear } from "../kernels.js";
import type { GpuLayer } from "./layer.js";

/** An activation on its own (native/layers/activation.cc): relu, tanh or sigmoid. */
const modeOf = (l: NativeLayer) => (l.relu === true ? 0 : l.tanh === true ? 1 : 2);

export const activation: GpuLayer = {
  variables: [0, 0],
  forward: ({ k, l, n, x, y }) => [k.prepare("act", [x, y], [n * l.out, modeOf(l)], linear(n * l.out))],
  backward: ({ k, l, n, y, gx, gy }) =>
    gx ? [k.prepare("actGrad", [gy, y, gx], [n * l.out, modeOf(l)], linear(n * l.out))] : [],
};
