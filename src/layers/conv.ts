import { z } from "zod";
import { bounds } from "../bounds.js";
import { activate, fusable } from "./activation.js";
import { reluMaxPool, trainingConv } from "./conv-training.js";
import { readFilters } from "./filters.js";
import type { LayerKind, Variable } from "./layer.js";
import { activation, padding, pair, whole } from "./schema.js";
import type { Activation, Padding } from "./types.js";
import { nativeWindow, needsImage, windowOver } from "./window.js";

/** Keras' Conv2D: `conv32`, `conv32x5`, `conv32(padding=same, stride=2, activation=tanh)`. */
export interface ConvSpec {
  type: "conv2d";
  filters: number;
  kernel: [number, number];
  strides: [number, number];
  padding: Padding;
  activation: Activation;
}

type Tensor4D = Parameters<typeof trainingConv>[1];

export const conv: LayerKind<ConvSpec> = {
  type: "conv2d",
  usage: "conv<N>[x<K>]",
  words: ["conv"],
  schema: z.strictObject({
    type: z.literal("conv2d"),
    filters: whole(bounds.maps),
    kernel: pair(bounds.window),
    strides: pair(bounds.window),
    padding,
    activation,
  }),
  maps: true,
  maskWord: "conv",
  parse(ref) {
    const r = readFilters(ref, "conv");
    if (!r?.ok) return r;
    const { filters, kernel, strides, opts } = r.layer;
    const layer: ConvSpec = {
      type: "conv2d",
      filters,
      kernel,
      strides,
      padding: opts.padding ?? "valid",
      activation: opts.activation ?? "relu",
    };
    return { ok: true, layer };
  },
  place: (d, ctx) => (ctx.maps !== undefined ? { ...d, filters: ctx.maps } : { ...d }),
  shape(l, input) {
    if (input.length !== 3) return needsImage("Conv2D");
    const w = windowOver(input, l.kernel, l.strides, l.padding);
    if ("code" in w) return w;
    const [kh, kw] = l.kernel;
    const params = kh * kw * (input[2] ?? 0) * l.filters + l.filters;
    return {
      output: [w.rows.out, w.cols.out, l.filters],
      row: { type: "Conv2D", params, trainable: params },
    };
  },
  weights(l, input) {
    const [kh, kw] = l.kernel;
    const c = input[2] ?? 0;
    return [
      {
        name: "kernel",
        shape: [kh, kw, c, l.filters],
        init: { glorot: [kh * kw * c, kh * kw * l.filters] },
        trainable: true,
      },
      { name: "bias", shape: [l.filters], init: { constant: 0 }, trainable: true },
    ];
  },
  forward(l, x, ctx) {
    const { tf } = ctx;
    const [kernel, bias] = ctx.weights as [Variable, Variable];
    const filter = kernel as Tensor4D;
    if (ctx.training && fusable(l.activation)) {
      // A relu whose gradient the max pool after it applies, when the back end has that kernel.
      const next = ctx.next;
      const pooled =
        l.activation === "relu" && next?.type === "maxpool2d" && ctx.hasKernel("CnnpReluMaxPoolGrad");
      const y = trainingConv(
        tf,
        x as Tensor4D,
        filter,
        bias,
        l.strides,
        l.padding,
        l.activation,
        !ctx.first,
        pooled,
        ctx.hasKernel("CnnpReluGrad"),
      );
      if (!pooled) return y;
      const p = next as unknown as { pool: [number, number]; strides: [number, number]; padding: Padding };
      ctx.skipNext();
      return reluMaxPool(tf, y, p.pool, p.strides, p.padding);
    }
    if (ctx.training)
      return activate(tf, tf.add(tf.conv2d(x as Tensor4D, filter, l.strides, l.padding), bias), l.activation);
    const c = { x: x as Tensor4D, filter, strides: l.strides, pad: l.padding, bias };
    if (fusable(l.activation)) return tf.fused.conv2d({ ...c, activation: l.activation });
    return activate(tf, tf.fused.conv2d(c), l.activation);
  },
  keras: (l) => [
    {
      layer: "conv2d",
      config: {
        filters: l.filters,
        kernelSize: l.kernel,
        strides: l.strides,
        padding: l.padding,
        activation: l.activation,
      },
    },
  ],
  native(l, input, output, ctx) {
    if (l.activation !== "relu" && l.activation !== "linear") return `activation ${l.activation}`;
    const w = windowOver(input, l.kernel, l.strides, l.padding);
    if ("code" in w) return w.message;
    const relu = l.activation === "relu";
    return {
      kind: "conv",
      in: input.reduce((a, b) => a * b, 1),
      out: output.reduce((a, b) => a * b, 1),
      ...nativeWindow(input, l.kernel, l.strides, w),
      co: l.filters,
      relu,
      reluInPool: relu && ctx.next?.type === "maxpool2d",
    };
  },
};
