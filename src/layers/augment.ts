import { z } from "zod";
import { bounds } from "../bounds.js";
import { error } from "../diagnostics/diagnostic.js";
import type { LayerKind } from "./layer.js";
import { fail, readArgs } from "./options.js";

/**
 * Random horizontal flips and shifts of up to `shift` pixels of the input, in training only. The
 * training engine applies it to each batch's images as they are read (train/augment.ts), so its
 * forward pass is the identity and the saved model starts after it.
 */
export interface AugmentSpec {
  type: "augment";
  flip: boolean;
  shift: number;
}

/** Keras' name for an augment layer: RandomFlip, RandomTranslation, or both in turn. */
export function augmentClass(l: AugmentSpec): string {
  return [l.flip ? "RandomFlip" : "", l.shift > 0 ? "RandomTranslation" : ""].filter(Boolean).join(", ");
}

export const augment: LayerKind<AugmentSpec> = {
  type: "augment",
  usage: "augment",
  words: ["augment"],
  schema: z.strictObject({
    type: z.literal("augment"),
    flip: z.boolean(),
    shift: z.number().int().min(0).max(bounds.window.max),
  }),
  parse(ref) {
    if (ref.name.value !== "augment") return undefined;
    const opts = readArgs(ref, ["flip", "shift"]);
    if ("code" in opts) return fail(opts);
    const layer: AugmentSpec = { type: "augment", flip: opts.flip ?? true, shift: opts.shift ?? 2 };
    if (!layer.flip && layer.shift === 0)
      return fail(error("E104", ref.span, "this augment does nothing: no flip and no shift"));
    return { ok: true, layer };
  },
  shape(l, input, index) {
    if (index !== 0)
      return { code: "E131", message: "augment changes the input images: it must be the first layer" };
    return { output: input, row: { type: augmentClass(l), params: 0, trainable: 0 } };
  },
  forward: (_, x) => x,
  keras: () => [],
};
