import { kindOf, type NativeLayer } from "../../layers/index.js";
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

/** Each layer's description, or why one cannot run in a whole step. */
export function describeLayers(spec: ModelSpec): NativeLayer[] | string {
  const layers = stepLayersOf(spec);
  const shaped = shapes({ ...spec, layers });
  if ("code" in shaped) return shaped.message;
  let weighted = false;
  const out: NativeLayer[] = [];
  for (const [i, l] of layers.entries()) {
    const kind = kindOf(l);
    const input = shaped.inputs[i] ?? [];
    const output = shaped.inputs[i + 1] ?? shaped.output;
    const ctx = { prev: layers[i - 1], next: layers[i + 1], last: i === layers.length - 1 };
    const d = kind.native?.(l as never, input, output, ctx) ?? `layer ${l.type}`;
    if (typeof d === "string") return d;
    out.push({ ...d, inputGrad: weighted });
    if ((kind.weights?.(l as never, input) ?? []).length > 0) weighted = true;
  }
  return out;
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
