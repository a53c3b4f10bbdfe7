import { z } from "zod";
import { bounds } from "../bounds.js";
import { grouped } from "../util/grouped.js";
import { activate } from "./activation.js";
import { readFilters } from "./filters.js";
import type { LayerKind, Tf, Variable } from "./layer.js";
import { wholeOption } from "./options.js";
import { activation, padding, pair, whole } from "./schema.js";
import type { Activation, Padding } from "./types.js";
import { nativeWindow, needsImage, windowOver } from "./window.js";

/**
 * Keras' SeparableConv2D: a depthwise convolution (each input channel by its own `multiplier`
 * kernels) then a pointwise 1x1 convolution to `filters` maps, one bias per map, then the
 * activation. `sepconv32`, `sepconv32x5`, `sepconv64(multiplier=2, padding=same, stride=2)`.
 */
export interface SepConvSpec {
  type: "sepconv2d";
  filters: number;
  kernel: [number, number];
  strides: [number, number];
  padding: Padding;
  multiplier: number;
  activation: Activation;
}

/** `multiplier=`: depthwise kernels per input channel (Keras' depth_multiplier). */
const multiplier = wholeOption(
  "multiplier",
  1,
  bounds.maps.max,
  `Use a multiplier of 1 to ${grouped(bounds.maps.max)}.`,
);

type Input = Parameters<Tf["separableConv2d"]>[0];
type Filter = Parameters<Tf["separableConv2d"]>[1];

export const sepconv: LayerKind<SepConvSpec> = {
  type: "sepconv2d",
  usage: "sepconv<N>[x<K>]",
  words: ["sepconv"],
  schema: z.strictObject({
    type: z.literal("sepconv2d"),
    filters: whole(bounds.maps),
    kernel: pair(bounds.window),
    strides: pair(bounds.window),
    padding,
    multiplier: whole(bounds.maps),
    activation,
  }),
  maps: true,
  maskWord: "sepconv",
  parse(ref) {
    const r = readFilters(ref, "sepconv", { multiplier });
    if (!r?.ok) return r;
    const { filters, kernel, strides, opts } = r.layer;
    const layer: SepConvSpec = {
      type: "sepconv2d",
      filters,
      kernel,
      strides,
      padding: opts.padding ?? "valid",
      multiplier: Number(r.layer.opts.own?.multiplier ?? 1),
      activation: opts.activation ?? "relu",
    };
    return { ok: true, layer };
  },
  place: (d, ctx) => (ctx.maps !== undefined ? { ...d, filters: ctx.maps } : { ...d }),
  shape(l, input) {
    if (input.length !== 3) return needsImage("SeparableConv2D");
    const w = windowOver(input, l.kernel, l.strides, l.padding);
    if ("code" in w) return w;
    const [kh, kw] = l.kernel;
    const c = input[2] ?? 0;
    const params = kh * kw * c * l.multiplier + c * l.multiplier * l.filters + l.filters;
    return {
      output: [w.rows.out, w.cols.out, l.filters],
      row: { type: "SeparableConv2D", params, trainable: params },
    };
  },
  weights(l, input) {
    const [kh, kw] = l.kernel;
    const c = input[2] ?? 0;
    const mid = c * l.multiplier;
    // Keras' fans of a kernel [kh, kw, in, out]: in and out times the window's cells.
    return [
      {
        name: "depthwise_kernel",
        shape: [kh, kw, c, l.multiplier],
        init: { glorot: [kh * kw * c, kh * kw * l.multiplier] },
        trainable: true,
      },
      {
        name: "pointwise_kernel",
        shape: [1, 1, mid, l.filters],
        init: { glorot: [mid, l.filters] },
        trainable: true,
      },
      { name: "bias", shape: [l.filters], init: { constant: 0 }, trainable: true },
    ];
  },
  forward(l, x, ctx) {
    const { tf } = ctx;
    const [depthwise, pointwise, bias] = ctx.weights as [Variable, Variable, Variable];
    const y = tf.separableConv2d(
      x as Input,
      depthwise as unknown as Filter,
      pointwise as unknown as Filter,
      l.strides,
      l.padding,
    );
    return activate(tf, tf.add(y, bias), l.activation);
  },
  keras: (l) => [
    {
      layer: "separableConv2d",
      config: {
        filters: l.filters,
        kernelSize: l.kernel,
        strides: l.strides,
        padding: l.padding,
        depthMultiplier: l.multiplier,
        activation: l.activation,
      },
    },
  ],
  native(l, input, output) {
    if (l.activation !== "relu" && l.activation !== "linear") return `activation ${l.activation}`;
    const w = windowOver(input, l.kernel, l.strides, l.padding);
    if ("code" in w) return w.message;
    return {
      kind: "sepconv",
      in: input.reduce((a, b) => a * b, 1),
      out: output.reduce((a, b) => a * b, 1),
      ...nativeWindow(input, l.kernel, l.strides, w),
      multiplier: l.multiplier,
      co: l.filters,
      relu: l.activation === "relu",
    };
  },
};
