import { z } from "zod";
import { error } from "../diagnostics/diagnostic.js";
import type { LayerKind } from "./layer.js";
import { fail, readArgs } from "./options.js";
import { fraction } from "./schema.js";

/** Keras' Dropout: `dropout0.25`, inverted (the kept units scaled by 1 / (1 - rate)) in training only. */
export interface DropoutSpec {
  type: "dropout";
  rate: number;
}

export const dropout: LayerKind<DropoutSpec> = {
  type: "dropout",
  usage: "dropout<rate>",
  words: ["dropout"],
  schema: z.strictObject({ type: z.literal("dropout"), rate: fraction }),
  parse(ref) {
    const m = /^dropout(\d*\.?\d+)?$/.exec(ref.name.value);
    if (!m) return undefined;
    const opts = readArgs(ref, ["rate"]);
    if ("code" in opts) return fail(opts);
    const rate = m[1] !== undefined ? Number(m[1]) : opts.rate;
    if (rate === undefined)
      return fail(
        error("E103", ref.name.span, "a dropout layer needs a rate", "Write it into the name: dropout0.25."),
      );
    if (!(rate >= 0 && rate < 1))
      return fail(
        error(
          "E104",
          ref.name.span,
          `dropout rate ${rate} is outside [0, 1)`,
          "A rate is the fraction of units dropped: at least 0, below 1.",
        ),
      );
    return { ok: true, layer: { type: "dropout", rate } };
  },
  place: (d, ctx) => ({ ...d, rate: ctx.dropout ?? d.rate }),
  shape: (_, input) => ({ output: input, row: { type: "Dropout", params: 0, trainable: 0 } }),
  forward(l, x, ctx) {
    if (!ctx.training || l.rate <= 0) return x;
    // One draw per unit from the network's dropout stream: zero with probability `rate`.
    const mask = new Float32Array(x.size);
    const keep = 1 / (1 - l.rate);
    for (let i = 0; i < mask.length; i++) mask[i] = ctx.random() < l.rate ? 0 : keep;
    return ctx.tf.mul(x, ctx.tf.tensor(mask, x.shape));
  },
  keras: (l) => [{ layer: "dropout", config: { rate: l.rate } }],
  native: (l, input, output) => ({
    kind: "dropout",
    in: input.reduce((a, b) => a * b, 1),
    out: output.reduce((a, b) => a * b, 1),
    rate: l.rate,
  }),
};
