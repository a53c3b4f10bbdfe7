import { z } from "zod";
import type { LayerKind } from "./layer.js";
import { noOptions } from "./options.js";

/** Keras' Flatten: the image as one vector (cnnp puts one before a dense layer that needs it). */
export interface FlattenSpec {
  type: "flatten";
}

export const flatten: LayerKind<FlattenSpec> = {
  type: "flatten",
  usage: "flatten",
  words: ["flatten"],
  schema: z.strictObject({ type: z.literal("flatten") }),
  flattens: true,
  parse(ref) {
    if (ref.name.value !== "flatten") return undefined;
    return noOptions(ref, "flatten") ?? { ok: true, layer: { type: "flatten" } };
  },
  shape: (_, input) => ({
    output: [input.reduce((a, b) => a * b, 1)],
    row: { type: "Flatten", params: 0, trainable: 0 },
  }),
  forward: (_, x, ctx) => ctx.tf.reshape(x, [x.shape[0] as number, -1]),
  keras: () => [{ layer: "flatten", config: {} }],
  native: (_, input, output) => ({
    kind: "flatten",
    in: input.reduce((a, b) => a * b, 1),
    out: output.reduce((a, b) => a * b, 1),
  }),
};
