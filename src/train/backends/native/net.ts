import type { ModelSpec, TrainingSpec } from "../../../model/index.js";
import { tf, type Variable } from "../../tf.js";
import { describeLayers, stepRefusal } from "../step-layers.js";
import type { WholeStep } from "../types.js";
import { type Addon, stepPhases } from "./addon.js";

export type StepPhase = (typeof stepPhases)[number];

/**
 * A whole training step in the addon (native/net.cc): forward, loss, backward and the update in
 * one call, on the variables' own arrays. The same arithmetic as the kernel-by-kernel path (the
 * same oneDNN primitives, the same dropout stream), without TensorFlow.js' engine in between.
 */
/** The addon's whole step (a WholeStep), with its profile by the addon's phases. */
export interface NativeNet extends WholeStep {
  profile(): Record<StepPhase, number>;
}

/** Why a model or training setting is outside what the addon's step does, or null. */
export const nativeStepRefusal = stepRefusal;

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
  const layers = describeLayers(spec);
  if (typeof layers === "string") throw new Error(`native: ${layers}`);
  const handle = addon.netCreate(
    layers,
    spec.input[0] * spec.input[1] * spec.input[2],
    spec.classes,
    t.batchSize,
    stepSlices(addon),
  );
  const result = new Float64Array(2);
  return {
    engine: "native step",
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
    async optimizerSlots() {
      if (t.momentum === 0) return [];
      // One per trained array (the moving statistics have none).
      const velocity = variables.filter((v) => v.trainable).map((v) => new Float32Array(v.size));
      addon.netVelocity(handle, velocity, false);
      return [velocity];
    },
    restoreOptimizer(slots) {
      const [velocity] = slots;
      if (t.momentum === 0 || !velocity) return;
      addon.netVelocity(handle, velocity, true);
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
