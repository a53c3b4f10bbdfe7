import { z } from "zod";
import { chain, type Inner, innerShapes, type Registry } from "./composite.js";
import type { LayerKind } from "./layer.js";
import { isShapeProblem } from "./layer.js";

/** A named sequence of layers (`block res16 = ...`), used in a model as one layer. */
export interface BlockSpec {
  type: "block";
  name: string;
  layers: Inner[];
}

/** A block as written in a model: its layers' drafts, and the width its name gives (`res32`). */
export interface BlockDraft {
  type: "block";
  name: string;
  layers: Inner[];
  width?: number;
}

export function blockKind(reg: Registry): LayerKind<BlockSpec, BlockDraft> {
  return {
    type: "block",
    usage: "a block's name",
    words: [],
    schema: z.strictObject({
      type: z.literal("block"),
      name: z.string().min(1).max(200),
      layers: z.array(z.lazy(reg.schema)).min(1),
    }) as unknown as z.ZodType<BlockSpec>,
    // Blocks are read from `block` statements by the checker, never from a layer word.
    parse: () => undefined,
    // A mask's digit drops or keeps the whole block, as one layer of its model.
    maskWord: "block",
    place: (d, ctx) => ({
      type: "block",
      name: d.name,
      layers: d.layers.map((x) => reg.place(x, { ...ctx, maps: ctx.maps ?? d.width, lastDense: false })),
    }),
    maps: true,
    shape(l, input) {
      const s = innerShapes(reg, l, input);
      if (isShapeProblem(s)) return s;
      const params = s.rows.reduce((a, r) => a + (r.depth === 1 ? r.params : 0), 0);
      const trainable = s.rows.reduce((a, r) => a + (r.depth === 1 ? r.trainable : 0), 0);
      return { output: s.output, row: { type: `Block ${l.name}`, params, trainable }, inner: s.rows };
    },
    weights(l, input) {
      const s = innerShapes(reg, l, input);
      if (isShapeProblem(s)) return [];
      return l.layers.flatMap((x, i) => reg.kindOf(x).weights?.(x, s.inputs[i] ?? []) ?? []);
    },
    forward(l, x, ctx) {
      const s = innerShapes(reg, l, x.shape.slice(1));
      if (isShapeProblem(s)) throw new Error(`internal: ${s.message}`);
      return chain(reg, l.layers, s.inputs, x, ctx).t;
    },
    keras: () => [],
    steps: (l) => ({ layers: l.layers, before: [], after: [] }),
  };
}
