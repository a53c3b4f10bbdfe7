import { z } from "zod";
import { bounds } from "../bounds.js";
import { error } from "../diagnostics/diagnostic.js";
import type { LayerRef } from "../dsl/ast.js";
import type { LayerKind, Parsed, Shape, Tensor } from "./layer.js";
import { fail, readArgs, tooLarge, windowHint } from "./options.js";
import { padding, pair } from "./schema.js";
import type { Padding } from "./types.js";
import { nativeWindow, needsImage, windowOver } from "./window.js";

/** Keras' MaxPooling2D and AveragePooling2D: `pool`, `pool3`, `avgpool(stride=1, padding=same)`. */
export interface PoolSpec<T extends "maxpool2d" | "avgpool2d" = "maxpool2d" | "avgpool2d"> {
  type: T;
  pool: [number, number];
  strides: [number, number];
  padding: Padding;
}

type Tensor4D = Parameters<import("./layer.js").Tf["maxPool"]>[0];

function parsePool<T extends "maxpool2d" | "avgpool2d">(
  ref: LayerRef,
  type: T,
  words: RegExp,
): Parsed<PoolSpec<T>> | undefined {
  const m = words.exec(ref.name.value);
  if (!m) return undefined;
  const k = m[1] !== undefined ? Number(m[1]) : 2;
  if (k < 1) return fail(error("E104", ref.name.span, "a pooling window is at least 1x1"));
  if (k > bounds.window.max) return tooLarge(ref, "pixels of window", k, bounds.window.max, windowHint);
  const opts = readArgs(ref, ["padding", "stride"]);
  if ("code" in opts) return fail(opts);
  const s = opts.stride ?? k;
  return { ok: true, layer: { type, pool: [k, k], strides: [s, s], padding: opts.padding ?? "valid" } };
}

function poolKind<T extends "maxpool2d" | "avgpool2d">(
  type: T,
  className: string,
  word: string,
  words: RegExp,
  op: "maxPool" | "avgPool",
): LayerKind<PoolSpec<T>> {
  return {
    type,
    usage: `${word}[<K>]`,
    words: type === "maxpool2d" ? ["pool", "maxpool"] : ["avgpool"],
    schema: z.strictObject({
      type: z.literal(type),
      pool: pair(bounds.window),
      strides: pair(bounds.window),
      padding,
    }) as unknown as z.ZodType<PoolSpec<T>>,
    maskWord: word,
    parse: (ref) => parsePool(ref, type, words),
    shape(l, input) {
      if (input.length !== 3) return needsImage(className);
      const w = windowOver(input, l.pool, l.strides, l.padding);
      if ("code" in w) return w;
      return {
        output: [w.rows.out, w.cols.out, input[2] ?? 0],
        row: { type: className, params: 0, trainable: 0 },
      };
    },
    forward: (l, x, ctx) => ctx.tf[op](x as Tensor4D, l.pool, l.strides, l.padding) as Tensor,
    keras: (l) => [
      {
        layer: type === "maxpool2d" ? "maxPooling2d" : "averagePooling2d",
        config: { poolSize: l.pool, strides: l.strides, padding: l.padding },
      },
    ],
    native(l, input: Shape, output: Shape, ctx) {
      const w = windowOver(input, l.pool, l.strides, l.padding);
      if ("code" in w) return w.message;
      // A max pool after a conv with relu applies the relu's gradient too (conv.ts: reluInPool).
      const prev = ctx.prev as { type: string; activation?: string } | undefined;
      return {
        reluBefore: type === "maxpool2d" && prev?.type === "conv2d" && prev.activation === "relu",
        kind: type === "maxpool2d" ? "maxpool" : "avgpool",
        in: input.reduce((a, b) => a * b, 1),
        out: output.reduce((a, b) => a * b, 1),
        ...nativeWindow(input, l.pool, l.strides, w),
      };
    },
  };
}

export const maxpool = poolKind("maxpool2d", "MaxPooling2D", "pool", /^(?:max)?pool(\d+)?$/, "maxPool");
export const avgpool = poolKind("avgpool2d", "AveragePooling2D", "avgpool", /^avgpool(\d+)?$/, "avgPool");
