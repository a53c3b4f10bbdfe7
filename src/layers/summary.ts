import { kindOf, type LayerSpec } from "./index.js";
import type { Shape, ShapeProblem, SummaryRow } from "./layer.js";

export type { SummaryRow };

export interface Summary {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
}

/** What a summary needs of a model (model/'s ModelSpec is one). */
export interface Layered {
  /** Height, width, channels of one input image. */
  input: readonly number[];
  classes: number;
  layers: readonly LayerSpec[];
}

/** Why a model cannot be built, and which layer is at fault (index into `layers`). */
export type ModelProblem = ShapeProblem & { layer: number };

/** Each layer's input shape, in order, and the model's output shape; or the first layer that cannot follow its input. */
export function shapes(model: Layered): { inputs: Shape[]; output: Shape } | ModelProblem {
  let shape: Shape = [...model.input];
  const inputs: Shape[] = [];
  for (const [i, l] of model.layers.entries()) {
    inputs.push(shape);
    const r = kindOf(l).shape(l as never, shape, i);
    if ("code" in r) return { ...r, layer: i };
    shape = r.output;
  }
  return { inputs, output: shape };
}

/**
 * Every layer's output shape and parameter count by Keras' rules (valid padding floors, `same`
 * keeps ceil(size / stride)), or which layer cannot be built.
 */
export function summarize(model: Layered): Summary | ModelProblem {
  let shape: Shape = [...model.input];
  const rows: SummaryRow[] = [];
  for (const [i, l] of model.layers.entries()) {
    const r = kindOf(l).shape(l as never, shape, i);
    if ("code" in r) return { ...r, layer: i };
    shape = r.output;
    rows.push({ ...r.row, outputShape: shape }, ...(r.inner ?? []));
  }
  const outputProblem = checkOutput(model);
  if (outputProblem) return outputProblem;
  // A block's row counts its layers' parameters: its own rows below it are not counted again.
  const top = rows.filter((r) => !r.depth);
  return {
    rows,
    totalParams: top.reduce((a, r) => a + r.params, 0),
    trainableParams: top.reduce((a, r) => a + r.trainable, 0),
  };
}

/** The model must end with a dense layer of one unit per class (dropout may follow it). */
function checkOutput(model: Layered): ModelProblem | null {
  const last = model.layers.findLastIndex((l) => l.type !== "dropout");
  const out = model.layers[last];
  if (out?.type !== "dense")
    return {
      layer: Math.max(0, model.layers.length - 1),
      code: "E113",
      message: `the model must end with dense${model.classes}, the output layer`,
    };
  if (out.units !== model.classes)
    return {
      layer: last,
      code: "E113",
      message: `the output layer has ${out.units} units but the data has ${model.classes} classes`,
    };
  return null;
}

export function isProblem(s: Summary | ModelProblem): s is ModelProblem {
  return "code" in s;
}

/** The summary as Keras prints it (without the batch axis). */
export function formatSummary(s: Pick<Summary, "rows" | "totalParams">): string {
  const trainable = s.rows.reduce((a, r) => a + (r.depth ? 0 : r.trainable), 0);
  const fmt = new Intl.NumberFormat("en-US");
  // A block's layers, indented under it.
  const lines = s.rows.map((r) => [
    `${"  ".repeat(r.depth ?? 0)}${r.type}`,
    `(${r.outputShape.join(", ")})`,
    fmt.format(r.params),
  ]);
  const widths = [0, 1, 2].map((c) =>
    Math.max(...lines.map((l) => l[c]?.length ?? 0), ["Layer", "Output shape", "Params"][c]?.length ?? 0),
  );
  const row = (cells: string[]) =>
    `${(cells[0] ?? "").padEnd(widths[0] ?? 0)}  ${(cells[1] ?? "").padEnd(widths[1] ?? 0)}  ${(cells[2] ?? "").padStart(widths[2] ?? 0)}`;
  return [
    row(["Layer", "Output shape", "Params"]),
    ...lines.map(row),
    `Total params: ${fmt.format(s.totalParams)}`,
    ...(trainable !== s.totalParams
      ? [
          `Trainable params: ${fmt.format(trainable)}`,
          `Non-trainable params: ${fmt.format(s.totalParams - trainable)}`,
        ]
      : []),
  ].join("\n");
}
