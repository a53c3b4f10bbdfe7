import { z } from "zod";
import { bounds } from "../bounds.js";
import { error } from "../diagnostics/diagnostic.js";
import { grouped } from "../util/grouped.js";
import { activate } from "./activation.js";
import type { LayerKind, Tf, Variable } from "./layer.js";
import { countError, fail, readArgs, tooLarge, wholeOption, windowHint } from "./options.js";
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
    const m = /^sepconv(\d+)(?:x(\d+)(?:x(\d+))?)?$/.exec(ref.name.value);
    if (!m) return undefined;
    const filters = Number(m[1]);
    if (filters < 1) return countError(ref, "filter");
    if (filters > bounds.maps.max)
      return tooLarge(
        ref,
        "filters",
        filters,
        bounds.maps.max,
        `Write e.g. sepconv32: 1 to ${grouped(bounds.maps.max)} filters.`,
      );
    const opts = readArgs(ref, ["activation", "padding", "stride", "kernel"], { multiplier });
    if ("code" in opts) return fail(opts);
    const kh = m[2] !== undefined ? Number(m[2]) : (opts.kernel ?? 3);
    const kw = m[3] !== undefined ? Number(m[3]) : kh;
    if (kh < 1 || kw < 1) return fail(error("E104", ref.name.span, "a kernel is at least 1x1"));
    if (Math.max(kh, kw) > bounds.window.max)
      return tooLarge(ref, "pixels of kernel", Math.max(kh, kw), bounds.window.max, windowHint);
    const s = opts.stride ?? 1;
    const layer: SepConvSpec = {
      type: "sepconv2d",
      filters,
      kernel: [kh, kw],
      strides: [s, s],
      padding: opts.padding ?? "valid",
      multiplier: Number(opts.own?.multiplier ?? 1),
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
