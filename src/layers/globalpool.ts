import { z } from "zod";
import type { LayerKind } from "./layer.js";
import { noOptions } from "./options.js";
import { needsImage } from "./window.js";

/** Keras' GlobalAveragePooling2D: one value per channel, the mean over the image. */
export interface GlobalPoolSpec {
  type: "globalpool";
}

export const globalpool: LayerKind<GlobalPoolSpec> = {
  type: "globalpool",
  usage: "globalpool",
  words: ["globalpool"],
  schema: z.strictObject({ type: z.literal("globalpool") }),
  flattens: true,
  parse(ref) {
    if (ref.name.value !== "globalpool") return undefined;
    return noOptions(ref, "globalpool") ?? { ok: true, layer: { type: "globalpool" } };
  },
  shape(_, input) {
    if (input.length !== 3) return needsImage("GlobalAveragePooling2D");
    return { output: [input[2] ?? 0], row: { type: "GlobalAveragePooling2D", params: 0, trainable: 0 } };
  },
  forward: (_, x, ctx) => ctx.tf.mean(x, [1, 2]),
  keras: () => [{ layer: "globalAveragePooling2d", config: {} }],
  native: (_, input, output) => ({
    kind: "globalpool",
    in: input.reduce((a, b) => a * b, 1),
    out: output.reduce((a, b) => a * b, 1),
    cells: (input[0] ?? 0) * (input[1] ?? 0),
  }),
};
