import type { NativeLayer } from "../../../layers/index.js";
import { type Dispatch, type Kernels, linear, type Optimizer, updateWords } from "./kernels.js";
import { gpuLayers } from "./layers/index.js";
import type { GpuLayer, LayerContext } from "./layers/layer.js";
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

/** Each residual's fork and join, by their places, both ways. */
function partners(layers: NativeLayer[]): Map<number, number> {
  const out = new Map<number, number>();
  const open: number[] = [];
  for (const [i, l] of layers.entries()) {
    if (l.kind === "fork") open.push(i);
    if (l.kind !== "join") continue;
    const f = open.pop();
    if (f === undefined) throw new Error("webgpu: a residual's join without its fork");
    out.set(f, i);
    out.set(i, f);
  }
  return out;
}

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
  const pairs = partners(layers);
  const context = (i: number): LayerContext => {
    const m = mem[i] as LayerMemory;
    const l = layers[i] as NativeLayer;
    const j = pairs.get(i);
    // A fork's and its join's: the fork's input, whether it needs a gradient, the join's buffers.
    const [forkAt, joinAt] = j === undefined ? [0, 0] : j < i ? [j, i] : [i, j];
    const partner =
      j === undefined
        ? null
        : {
            x: (mem[forkAt] as LayerMemory).x,
            inputGrad: (layers[forkAt] as NativeLayer).inputGrad === true,
            own: (name: string) => (mem[joinAt] as LayerMemory).own[name] as GPUBuffer,
          };
    return {
      partner,
      k,
      l,
      n,
      train: opts.train,
      x: m.x,
      y: outputOf(i),
      gx: l.inputGrad === true ? m.gx : null,
      gy: gradOf(i),
      w: (j) => packed.slot(packed.weights, m.vars[j] as number),
      g: (j) => packed.slot(packed.grads, m.vars[j] as number),
      own: (name) => m.own[name] as GPUBuffer,
      cursor: s.cursor,
      seed: s.seed,
      index: i,
    };
  };
  const kindOf = (i: number) => gpuLayers[(layers[i] as NativeLayer).kind] as GpuLayer;
  for (let i = 0; i < layers.length; i++) out.push(...kindOf(i).forward(context(i)));
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
  for (let i = layers.length - 1; i >= 0; i--) out.push(...kindOf(i).backward(context(i)));
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
