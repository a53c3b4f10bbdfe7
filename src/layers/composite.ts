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

/** The inner layers' shapes, summary rows and output, or the first that cannot follow its input. */
export function innerShapes(reg: Registry, l: { layers: Inner[] }, input: Shape) {
  let shape = input;
  const inputs: Shape[] = [];
  const rows: SummaryRow[] = [];
  for (const [i, inner] of l.layers.entries()) {
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

/**
 * The forward pass of a sequence of layers inside a block: each with its own slice of the block's
 * weights (in their order); returns the output and how many weights were used.
 */
export function chain(reg: Registry, layers: Inner[], inputs: Shape[], x: Tensor, ctx: ForwardContext) {
  let t: Tensor = x;
  let at = 0;
  let skip = false;
  layers.forEach((inner, i) => {
    const n = reg.kindOf(inner).weights?.(inner, inputs[i] ?? []).length ?? 0;
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
