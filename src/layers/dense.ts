import { z } from "zod";
import { bounds } from "../bounds.js";
import { grouped } from "../util/grouped.js";
import { activate, fusable } from "./activation.js";
import type { LayerKind, Tf, Variable } from "./layer.js";
import { countError, fail, readArgs, tooLarge } from "./options.js";
import { activation, whole } from "./schema.js";
import type { Activation } from "./types.js";

/** Keras' Dense: `dense128`, `dense10(activation=sigmoid)`. */
export interface DenseSpec {
  type: "dense";
  units: number;
  activation: Activation;
}

/** As written: the activation may be left to the layer's place (softmax for the output layer, else relu). */
export type DenseDraft = Omit<DenseSpec, "activation"> & { activation: Activation | undefined };

type Tensor2D = Parameters<Tf["matMul"]>[0];

export const dense: LayerKind<DenseSpec, DenseDraft> = {
  type: "dense",
  usage: "dense<N>",
  words: ["dense"],
  schema: z.strictObject({ type: z.literal("dense"), units: whole(bounds.units), activation }),
  input: "flat",
  parse(ref) {
    const m = /^dense(\d+)$/.exec(ref.name.value);
    if (!m) return undefined;
    const units = Number(m[1]);
    if (units < 1) return countError(ref, "unit");
    if (units > bounds.units.max)
      return tooLarge(
        ref,
        "units",
        units,
        bounds.units.max,
        `Write e.g. dense128: 1 to ${grouped(bounds.units.max)} units.`,
      );
    const opts = readArgs(ref, ["activation"]);
    if ("code" in opts) return fail(opts);
    return { ok: true, layer: { type: "dense", units, activation: opts.activation } };
  },
  place: (d, ctx) => ({ ...d, activation: d.activation ?? (ctx.lastDense ? "softmax" : "relu") }),
  shape(l, input) {
    if (input.length !== 1)
      return { code: "E112", message: "Dense needs a flat vector: put flatten before it" };
    const params = (input[0] ?? 0) * l.units + l.units;
    return { output: [l.units], row: { type: "Dense", params, trainable: params } };
  },
  weights(l, input) {
    const fanIn = input.reduce((a, b) => a * b, 1);
    return [
      { name: "kernel", shape: [fanIn, l.units], init: { glorot: [fanIn, l.units] }, trainable: true },
      { name: "bias", shape: [l.units], init: { constant: 0 }, trainable: true },
    ];
  },
  forward(l, x, ctx) {
    const { tf } = ctx;
    const [kernel, bias] = ctx.weights as [Variable, Variable];
    const a = (x.rank !== 2 ? tf.reshape(x, [x.shape[0] as number, -1]) : x) as Tensor2D;
    const act = ctx.logits ? "linear" : l.activation;
    if (ctx.training) return activate(tf, tf.add(tf.matMul(a, kernel as Tensor2D), bias), act);
    const mm = { a, b: kernel as Tensor2D, bias };
    if (fusable(act)) return tf.fused.matMul({ ...mm, activation: act });
    return activate(tf, tf.fused.matMul(mm), act);
  },
  keras: (l) => [{ layer: "dense", config: { units: l.units, activation: l.activation } }],
  native(l, input, output, ctx) {
    if (!ctx.last && l.activation !== "relu" && l.activation !== "linear")
      return `activation ${l.activation}`;
    return {
      kind: "dense",
      in: input.reduce((a, b) => a * b, 1),
      out: output.reduce((a, b) => a * b, 1),
      relu: l.activation === "relu",
    };
  },
};
