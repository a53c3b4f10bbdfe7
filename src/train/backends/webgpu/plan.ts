import type { NativeLayer } from "../../../layers/index.js";
import { type Window, windowWords } from "./image-shaders.js";
import {
  type Binding,
  type Dispatch,
  type Kernels,
  linear,
  type Optimizer,
  perGroup,
  updateWords,
} from "./kernels.js";
import type { LayerMemory, Packed } from "./memory.js";

/** What a step's dispatches are bound to. */
export interface StepBuffers {
  layers: NativeLayer[];
  mem: LayerMemory[];
  logits: GPUBuffer;
  glogits: GPUBuffer;
  packed: Packed;
  classes: number;
  /** The data set and order the batch is gathered from, the epoch's augment draws, and where the epoch is. */
  images: GPUBuffer;
  labels: GPUBuffer;
  order: GPUBuffer;
  draws: GPUBuffer;
  cursor: GPUBuffer;
  /** The images' shape, for augment. */
  shape: [number, number, number];
  /** The batch's labels, each row's loss and hit, and each step's sums. */
  batchLabels: GPUBuffer;
  lossRows: GPUBuffer;
  hitRows: GPUBuffer;
  stats: GPUBuffer;
  /** The dropout masks' seed. */
  seed: number;
}

const windowOf = (l: NativeLayer, n: number): Window => ({
  n,
  h: l.h as number,
  w: l.w as number,
  c: l.c as number,
  oh: l.oh as number,
  ow: l.ow as number,
  co: (l.co as number | undefined) ?? (l.c as number),
  kh: l.kh as number,
  kw: l.kw as number,
  sh: l.sh as number,
  sw: l.sw as number,
  pt: l.pt as number,
  pl: l.pl as number,
  relu: l.relu === true,
});

/**
 * The dispatches of one step over a batch of n, in order: gather, forward, loss (and its sums),
 * backward, one update of every variable, advance. Without `train`: gather (items in order from
 * the cursor), forward with dropout off, advance; the logits are left in `logits`.
 */
export function stepPlan(
  k: Kernels,
  s: StepBuffers,
  n: number,
  opts: { train: boolean; optimizer: Optimizer; augment: boolean },
): Dispatch[] {
  const out: Dispatch[] = [];
  const { layers, mem, packed } = s;
  const pixels = layers[0]?.in ?? 0;
  const first = mem[0] as LayerMemory;
  out.push(
    k.prepare(
      "gather",
      [s.images, s.labels, s.order, s.cursor, s.draws, first.x, s.batchLabels],
      [n, pixels, opts.train ? 1 : 0, opts.train && opts.augment ? 1 : 0, ...s.shape, 0],
      linear(n * pixels),
    ),
  );
  const outputOf = (i: number) => (i + 1 < mem.length ? (mem[i + 1] as LayerMemory).x : s.logits);
  const gradOf = (i: number) =>
    (i + 1 < mem.length ? (mem[i + 1] as LayerMemory).gx : s.glogits) as GPUBuffer;
  const w = (m: LayerMemory, j: number): Binding => packed.slot(packed.weights, m.vars[j] as number);
  const g = (m: LayerMemory, j: number): Binding => packed.slot(packed.grads, m.vars[j] as number);
  for (const [i, l] of layers.entries()) {
    const m = mem[i] as LayerMemory;
    const y = outputOf(i);
    if (l.kind === "conv") {
      const win = windowOf(l, n);
      out.push(k.prepare("convForward", [m.x, w(m, 0), w(m, 1), y], windowWords(win), linear(n * l.out)));
    } else if (l.kind === "maxpool") {
      out.push(
        k.prepare("maxPool", [m.x, y, m.arg as GPUBuffer], windowWords(windowOf(l, n)), linear(n * l.out)),
      );
    } else if (l.kind === "dense") {
      const mm = k.matmulDims({ m: n, n: l.out, k: l.in });
      out.push(k.prepare("matmul", [m.x, w(m, 0), y], mm.dims, mm.groups));
      out.push(k.prepare("biasAct", [y, w(m, 1)], [n * l.out, l.out, l.relu ? 1 : 0], linear(n * l.out)));
    } else if (l.kind === "dropout") {
      out.push(
        k.prepare(
          "dropout",
          [m.x, y, m.mask as GPUBuffer, s.cursor],
          [n * l.out, s.seed >>> 0, l.rate as number, opts.train ? 1 : 0],
          linear(n * l.out),
          [2],
        ),
      );
    } else if (l.kind === "avgpool") {
      out.push(k.prepare("avgPool", [m.x, y], windowWords(windowOf(l, n)), linear(n * l.out)));
    } else if (l.kind === "globalpool") {
      out.push(k.prepare("globalPool", [m.x, y], windowWords(globalWindow(l, n)), linear(n * l.out)));
    } else if (l.kind === "batchnorm") {
      const d = normWords(l, n, opts.train);
      if (opts.train)
        out.push(
          k.prepare(
            "bnStats",
            [m.x, m.stats as GPUBuffer, w(m, 2), w(m, 3)],
            d,
            [l.channels as number, 1],
            [2, 3],
          ),
        );
      out.push(
        k.prepare(
          "bnForward",
          [m.x, m.stats as GPUBuffer, w(m, 0), w(m, 1), w(m, 2), w(m, 3), y],
          d,
          linear(n * l.out),
          [2, 3],
        ),
      );
    } else if (l.kind !== "flatten") throw new Error(`webgpu: no kernel for layer ${l.kind}`);
  }
  if (!opts.train) {
    out.push(k.prepare("advance", [s.cursor], [n, 0], [1, 1]));
    return out;
  }
  const classes = s.classes;
  out.push(
    k.prepare(
      "softmaxLoss",
      [s.logits, s.batchLabels, s.glogits, s.lossRows, s.hitRows],
      [n, classes, n],
      [Math.ceil(n / 64), 1],
    ),
  );
  out.push(k.prepare("stats", [s.lossRows, s.hitRows, s.stats, s.cursor], [n], [1, 1]));
  for (let i = layers.length - 1; i >= 0; i--)
    out.push(...backward(k, s, i, n, outputOf(i), gradOf(i), g, w));
  out.push(
    k.prepare(
      "update",
      [packed.weights, packed.grads, packed.velocity, packed.second, s.cursor],
      updateWords(packed.total, opts.optimizer),
      linear(packed.total),
      [2, 3, 4, 5],
    ),
  );
  out.push(k.prepare("advance", [s.cursor], [n, 1], [1, 1]));
  return out;
}

/** A global pool as a window over the whole image: cells = h x w, c channels. */
const globalWindow = (l: NativeLayer, n: number): Window => {
  const c = l.out;
  const cells = l.cells as number;
  return { n, h: cells, w: 1, c, co: c, oh: 1, ow: 1, kh: cells, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0 };
};

/** Batchnorm's uniform: rows (batch x cells), channels, epsilon, momentum, training. */
const normWords = (l: NativeLayer, n: number, train: boolean) => {
  const channels = l.channels as number;
  return [(n * l.in) / channels, channels, l.epsilon as number, l.momentum as number, train ? 1 : 0, 0, 0, 0];
};

/** Layer i's gradients: of its variables, and of its input where a layer before it has variables. */
function backward(
  k: Kernels,
  s: StepBuffers,
  i: number,
  n: number,
  y: GPUBuffer,
  gy: GPUBuffer,
  g: (m: LayerMemory, j: number) => Binding,
  w: (m: LayerMemory, j: number) => Binding,
): Dispatch[] {
  const l = s.layers[i] as NativeLayer;
  const m = s.mem[i] as LayerMemory;
  const out: Dispatch[] = [];
  const wantInput = l.inputGrad === true && m.gx !== null;
  if ((l.kind === "conv" || l.kind === "dense") && l.relu)
    out.push(k.prepare("reluGrad", [gy, y], [n * l.out], linear(n * l.out)));
  if (l.kind === "conv") {
    const win = windowOf(l, n);
    out.push(
      k.prepare(
        "convGradFilter",
        [m.x, gy, g(m, 0)],
        windowWords(win),
        perGroup(win.kh * win.kw * win.c * win.co),
      ),
    );
    out.push(k.prepare("sumRows", [gy, g(m, 1)], [n * win.oh * win.ow, win.co], perGroup(win.co)));
    if (wantInput)
      out.push(
        k.prepare("convGradInput", [gy, w(m, 0), m.gx as GPUBuffer], windowWords(win), linear(n * l.in)),
      );
  } else if (l.kind === "dense") {
    const gw = k.matmulDims({ m: l.in, n: l.out, k: n, transA: true });
    out.push(k.prepare("matmul", [m.x, gy, g(m, 0)], gw.dims, gw.groups));
    out.push(k.prepare("sumRows", [gy, g(m, 1)], [n, l.out], perGroup(l.out)));
    if (wantInput) {
      const gx = k.matmulDims({ m: n, n: l.in, k: l.out, transB: true });
      out.push(k.prepare("matmul", [gy, w(m, 0), m.gx as GPUBuffer], gx.dims, gx.groups));
    }
  } else if (l.kind === "maxpool" && wantInput) {
    out.push(
      k.prepare(
        "maxPoolGrad",
        [gy, m.arg as GPUBuffer, m.gx as GPUBuffer],
        windowWords(windowOf(l, n)),
        linear(n * l.in),
      ),
    );
  } else if (l.kind === "avgpool" && wantInput) {
    out.push(
      k.prepare("avgPoolGrad", [gy, m.gx as GPUBuffer], windowWords(windowOf(l, n)), linear(n * l.in)),
    );
  } else if (l.kind === "globalpool" && wantInput) {
    out.push(
      k.prepare("globalPoolGrad", [gy, m.gx as GPUBuffer], windowWords(globalWindow(l, n)), linear(n * l.in)),
    );
  } else if (l.kind === "batchnorm") {
    const d = normWords(l, n, true);
    const stats = m.stats as GPUBuffer;
    out.push(
      k.prepare("bnGradParams", [gy, m.x, stats, g(m, 0), g(m, 1)], d, [l.channels as number, 1], [2, 3]),
    );
    if (wantInput)
      out.push(
        k.prepare(
          "bnGradInput",
          [gy, m.x, stats, w(m, 0), g(m, 0), g(m, 1), m.gx as GPUBuffer],
          d,
          linear(n * l.in),
          [2, 3],
        ),
      );
  } else if (l.kind === "dropout" && wantInput) {
    out.push(
      k.prepare("dropoutGrad", [gy, m.mask as GPUBuffer, m.gx as GPUBuffer], [n * l.out], linear(n * l.out)),
    );
  }
  return out;
}
