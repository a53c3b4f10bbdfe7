import type { ModelSpec, TrainingSpec } from "../../../model/index.js";
import { tf, type Variable } from "../../tf.js";
import { type Addon, stepPhases } from "./addon.js";
import { geometry, poolGeometry } from "./kernels.js";

export type StepPhase = (typeof stepPhases)[number];

const { backend_util } = tf;

/** One layer's entry in the addon's description (native/cnnp_native.cc, kLayerWidth). */
const width = 24;
const kinds = {
  conv2d: 0,
  maxpool2d: 1,
  flatten: 2,
  dense: 3,
  dropout: 4,
  batchnorm: 5,
  avgpool2d: 6,
  globalpool: 7,
} as const;

/**
 * A whole training step in the addon (native/net.cc): forward, loss, backward and the update in
 * one call, on the variables' own arrays. The same arithmetic as the kernel-by-kernel path (the
 * same oneDNN primitives, the same dropout stream), without TensorFlow.js' engine in between.
 */
export interface NativeNet {
  /** Trains on the items (indices into images/labels); returns the batch's mean loss and hits. */
  step(
    images: Uint8Array,
    labels: Uint8Array,
    items: Int32Array,
    dropout: Uint32Array,
  ): { loss: number; correct: number };
  /** Logits [n, classes] of images first..first+n. */
  infer(images: Uint8Array, first: number, n: number): Float32Array;
  /** Seconds the steps so far spent in each phase inside the addon. */
  profile(): Record<StepPhase, number>;
  /** Frees the addon's buffers for this net. */
  dispose(): void;
  /** How many slices of a batch a step trains at once, a thread each. */
  readonly slices: number;
}

/** Why a model or training setting is outside what the addon's step does, or null. */
export function nativeStepRefusal(spec: ModelSpec, t: TrainingSpec): string | null {
  if (t.optimizer !== "sgd") return `optimizer ${t.optimizer}`;
  // augment is applied to the batch before the step (fit.ts), so the addon sees the layers after it.
  const other = layersOf(spec).find((l) => !(l.type in kinds));
  if (other) return `layer ${other.type}`;
  const last = spec.layers[spec.layers.length - 1];
  if (last?.type !== "dense" || last.activation !== "softmax")
    return "the last layer is not a softmax dense layer";
  for (const [i, l] of spec.layers.entries()) {
    const output = i === spec.layers.length - 1;
    if (
      (l.type === "conv2d" || l.type === "dense") &&
      !output &&
      l.activation !== "relu" &&
      l.activation !== "linear"
    )
      return `activation ${l.activation}`;
  }
  return null;
}

/** The layers the addon runs: all but a leading augment, which the batch has been through. */
const layersOf = (spec: ModelSpec) => spec.layers.filter((l, i) => !(i === 0 && l.type === "augment"));

/** The addon's description of a model: shapes worked out by TensorFlow.js' own geometry code. */
function describe(spec: ModelSpec): Float64Array {
  const layers = layersOf(spec);
  const out = new Float64Array(layers.length * width);
  let shape = [1, ...spec.input] as [number, number, number, number];
  let flat = 0;
  let weighted = false;
  layers.forEach((l, i) => {
    const row = out.subarray(i * width, (i + 1) * width);
    const values = flat || shape[1] * shape[2] * shape[3];
    row[0] = kinds[l.type as keyof typeof kinds];
    row[3] = weighted ? 1 : 0;
    row[5] = values;
    if (l.type === "conv2d") {
      const c = backend_util.computeConv2DInfo(
        shape,
        [l.kernel[0], l.kernel[1], shape[3], l.filters],
        l.strides,
        1,
        l.padding,
      );
      const next = layers[i + 1];
      row[1] = l.activation === "relu" ? 1 : 0;
      row[2] = l.activation === "relu" && next?.type === "maxpool2d" ? 1 : 0;
      // The addon's geometry without the batch, which each step sets.
      row.set(geometry(c).slice(1), 7);
      shape = [1, c.outHeight, c.outWidth, c.outChannels];
      weighted = true;
    } else if (l.type === "maxpool2d" || l.type === "avgpool2d") {
      const p = backend_util.computePool2DInfo(shape, l.pool, l.strides, 1, l.padding);
      row.set(poolGeometry(p).slice(1), 7);
      shape = [1, p.outHeight, p.outWidth, p.inChannels];
    } else if (l.type === "globalpool") {
      row[7] = shape[1] * shape[2];
      flat = shape[3];
    } else if (l.type === "batchnorm") {
      row[7] = flat ? values : shape[3];
      row[8] = l.epsilon;
      row[9] = l.momentum;
      weighted = true;
    } else if (l.type === "flatten") {
      flat = values;
    } else if (l.type === "dense") {
      row[1] = l.activation === "relu" ? 1 : 0;
      flat = l.units;
      weighted = true;
    } else if (l.type === "dropout") {
      row[4] = l.rate;
    }
    row[6] = flat || shape[1] * shape[2] * shape[3];
  });
  return out;
}

/** The arrays TensorFlow.js keeps a variable's values in: the step updates them in place. */
function arraysOf(variables: Variable[]): Float32Array[] {
  const backend = tf.backend() as unknown as { data: { get(id: unknown): { values: unknown } } };
  return variables.map((v) => {
    const values = backend.data.get(v.dataId).values;
    if (!(values instanceof Float32Array)) throw new Error(`native: variable ${v.name} is not float32`);
    return values;
  });
}

/**
 * How many slices of a batch the whole step trains at once: one per OpenMP thread, each slice on
 * one thread (one-thread kernels over half a batch beat two-thread kernels over all of it: 3.4
 * against 6.5 s per epoch of the main model here), or CNNP_NATIVE_SLICES. Slices sum their
 * gradients in another order than one kernel over the batch, so weights differ in the last bits
 * from a one-slice step; CNNP_NATIVE_SLICES=1 gives the kernel-by-kernel path's weights exactly.
 */
export function stepSlices(addon: Pick<Addon, "threads">, env: NodeJS.ProcessEnv = process.env): number {
  const asked = env.CNNP_NATIVE_SLICES;
  if (asked !== undefined && /^[1-9][0-9]*$/.test(asked)) return Math.min(Number(asked), 1024);
  return Math.max(1, addon.threads());
}

export function nativeNet(addon: Addon, spec: ModelSpec, t: TrainingSpec, variables: Variable[]): NativeNet {
  const handle = addon.netCreate(
    describe(spec),
    spec.input[0] * spec.input[1] * spec.input[2],
    spec.classes,
    t.batchSize,
    stepSlices(addon),
  );
  const result = new Float64Array(2);
  return {
    slices: addon.netSlices(handle),
    step(images, labels, items, dropout) {
      addon.netStep(
        handle,
        images,
        labels,
        items,
        arraysOf(variables),
        t.learningRate,
        t.momentum,
        dropout,
        result,
      );
      return { loss: result[0] as number, correct: result[1] as number };
    },
    dispose() {
      addon.netDestroy(handle);
    },
    profile() {
      const seconds = addon.netProfile(handle);
      return Object.fromEntries(stepPhases.map((p, i) => [p, seconds[i] as number])) as Record<
        StepPhase,
        number
      >;
    },
    infer(images, first, n) {
      const out = new Float32Array(n * spec.classes);
      addon.netInfer(handle, images, first, n, arraysOf(variables), out);
      return out;
    },
  };
}
