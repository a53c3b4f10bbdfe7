import { kindOf, type LayerSpec, type NativeLayer, type Shape } from "../../layers/index.js";
import { shapes } from "../../layers/summary.js";
import type { ModelSpec, TrainingSpec } from "../../model/index.js";

/**
 * The layers a back end's whole step runs, as each layer kind describes itself for one
 * (src/layers/: `native`): its kind and settings by name, with whether its input needs a gradient.
 * The native addon and the WebGPU step read the same descriptions.
 */

/** The layers a whole step runs: all but a leading augment, which the batch has been through. */
export const stepLayersOf = (spec: ModelSpec) =>
  spec.layers.filter((l, i) => !(i === 0 && l.type === "augment"));

type Layered = { type: string };

/** What describing a sequence carries along: the descriptions so far, and whether one has weights. */
interface Described {
  out: NativeLayer[];
  weighted: boolean;
}

/** The input shapes of a composite's layers from its input, and their output. */
function shapesWithin(layers: Layered[], input: Shape): { inputs: Shape[]; output: Shape } | string {
  let shape = input;
  const inputs: Shape[] = [];
  for (const [i, l] of layers.entries()) {
    inputs.push(shape);
    const r = kindOf(l as LayerSpec).shape(l as never, shape, i);
    if ("code" in r) return r.message;
    shape = r.output;
  }
  return { inputs, output: shape };
}

/**
 * Describes a sequence of layers into `d`, a composite's layers in place between its own (a
 * residual's fork and join): the step runs one flat sequence. Returns why it cannot, or null.
 */
function describeSequence(
  layers: Layered[],
  inputs: Shape[],
  output: Shape,
  last: boolean,
  d: Described,
): string | null {
  for (const [i, l] of layers.entries()) {
    const kind = kindOf(l as LayerSpec);
    const input = inputs[i] ?? [];
    const after = inputs[i + 1] ?? output;
    const composite = kind.steps?.(l as never, input, after);
    if (composite !== undefined) {
      if (typeof composite === "string") return composite;
      const inner = shapesWithin(composite.layers, input);
      if (typeof inner === "string") return inner;
      for (const x of composite.before) d.out.push({ ...x, inputGrad: d.weighted });
      const why = describeSequence(composite.layers, inner.inputs, inner.output, false, d);
      if (why !== null) return why;
      for (const x of composite.after) d.out.push({ ...x, inputGrad: d.weighted });
    } else {
      const ctx = { prev: layers[i - 1], next: layers[i + 1], last: last && i === layers.length - 1 };
      const x = kind.native?.(l as never, input, after, ctx) ?? `layer ${l.type}`;
      if (typeof x === "string") return x;
      d.out.push({ ...x, inputGrad: d.weighted });
    }
    if ((kind.weights?.(l as never, input) ?? []).length > 0) d.weighted = true;
  }
  return null;
}

/**
 * Each layer's description, or why one cannot run in a whole step. A block's or a residual's
 * layers are described in place, a residual's between a fork and a join.
 */
export function describeLayers(spec: ModelSpec): NativeLayer[] | string {
  const layers = stepLayersOf(spec);
  const shaped = shapes({ ...spec, layers });
  if ("code" in shaped) return shaped.message;
  const d: Described = { out: [], weighted: false };
  const why = describeSequence(layers, shaped.inputs, shaped.output, true, d);
  return why ?? d.out;
}

/** Why a model or training setting is outside what a whole step does (SGD, a softmax output), or null. */
export function stepRefusal(spec: ModelSpec, t: TrainingSpec): string | null {
  if (t.optimizer !== "sgd") return `optimizer ${t.optimizer}`;
  const d = describeLayers(spec);
  if (typeof d === "string") return d;
  const last = spec.layers[spec.layers.length - 1];
  if (last?.type !== "dense" || last.activation !== "softmax")
    return "the last layer is not a softmax dense layer";
  return null;
}
