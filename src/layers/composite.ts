import type { z } from "zod";
import type { LayerRef } from "../dsl/ast.js";
import type { ForwardContext, LayerKind, Parsed, Shape, ShapeProblem, SummaryRow, Tensor } from "./layer.js";
import { isShapeProblem } from "./layer.js";

/**
 * What layers made of other layers (residual.ts, block.ts) share: the registry's functions they
 * are given, their layers' shapes and rows, and the forward pass through them.
 */

/** A layer of the registry, as this file sees it (the registry passes its own functions in). */
export type Inner = { type: string };

/** What a residual needs of the layer registry, given by it (layers/index.ts) to avoid a cycle. */
export interface Registry {
  kindOf(spec: Inner): LayerKind<Inner>;
  parseLayer(ref: LayerRef): Parsed<Inner>;
  place(draft: Inner, ctx: Parameters<NonNullable<LayerKind<Inner>["place"]>>[1]): Inner;
  schema: () => z.ZodType<Inner>;
}

type Shaped = { inputs: Shape[]; output: Shape; rows: SummaryRow[] } | ShapeProblem;

/** Worked out once per block and input shape: the forward pass asks at every step. */
const shaped = new WeakMap<Inner[], Map<string, Shaped>>();

/** The inner layers' shapes, summary rows and output, or the first that cannot follow its input. */
export function innerShapes(reg: Registry, l: { layers: Inner[] }, input: Shape): Shaped {
  const byInput = shaped.get(l.layers) ?? new Map<string, Shaped>();
  shaped.set(l.layers, byInput);
  const key = input.join(",");
  let s = byInput.get(key);
  if (!s) {
    s = shapesOf(reg, l.layers, input);
    byInput.set(key, s);
  }
  return s;
}

function shapesOf(reg: Registry, layers: Inner[], input: Shape): Shaped {
  let shape = input;
  const inputs: Shape[] = [];
  const rows: SummaryRow[] = [];
  for (const [i, inner] of layers.entries()) {
    inputs.push(shape);
    const r = reg.kindOf(inner).shape(inner, shape, i);
    if (isShapeProblem(r)) return r;
    shape = r.output;
    rows.push({ ...r.row, outputShape: shape, depth: 1 + (r.row.depth ?? 0) });
    rows.push(...(r.inner ?? []).map((x) => ({ ...x, depth: (x.depth ?? 0) + 1 })));
  }
  return { inputs, output: shape, rows };
}

export const problem = (message: string): ShapeProblem => ({ code: "E111", message });

/** How many weights each layer of a block holds (its input shapes are fixed by the block's). */
const weightCounts = new WeakMap<Inner[], number[]>();

/**
 * The forward pass of a sequence of layers inside a block: each with its own slice of the block's
 * weights (in their order); returns the output and how many weights were used.
 */
export function chain(reg: Registry, layers: Inner[], inputs: Shape[], x: Tensor, ctx: ForwardContext) {
  let counts = weightCounts.get(layers);
  if (!counts) {
    counts = layers.map((inner, i) => reg.kindOf(inner).weights?.(inner, inputs[i] ?? []).length ?? 0);
    weightCounts.set(layers, counts);
  }
  let t: Tensor = x;
  let at = 0;
  let skip = false;
  layers.forEach((inner, i) => {
    const n = counts[i] ?? 0;
    const weights = ctx.weights.slice(at, at + n);
    at += n;
    if (skip) {
      skip = false;
      return;
    }
    const inside: ForwardContext = {
      ...ctx,
      weights,
      first: ctx.first && t === x,
      logits: false,
      next: layers[i + 1],
      skipNext: () => {
        skip = true;
      },
    };
    t = reg.kindOf(inner).forward(inner, t, inside);
  });
  return { t, at };
}
