import { z } from "zod";
import { activate } from "./activation.js";
import type { LayerKind } from "./layer.js";
import { noOptions } from "./options.js";
import { type Activation, activations } from "./types.js";

/** Keras' Activation layer: `relu` alone, where a model needs one after an addition. */
export interface ActivationSpec {
  type: "activation";
  activation: Activation;
}

/** The activations the whole steps have on their own (native/layers/activation.cc). */
const stepActivations: readonly Activation[] = ["relu", "tanh", "sigmoid"];

export const activation: LayerKind<ActivationSpec> = {
  type: "activation",
  usage: "relu (or another activation's name, alone)",
  words: activations,
  schema: z.strictObject({ type: z.literal("activation"), activation: z.enum(activations) }),
  parse(ref) {
    const word = ref.name.value;
    if (!(activations as readonly string[]).includes(word)) return undefined;
    return (
      noOptions(ref, word) ?? { ok: true, layer: { type: "activation", activation: word as Activation } }
    );
  },
  shape: (_, input) => ({ output: input, row: { type: "Activation", params: 0, trainable: 0 } }),
  forward: (l, x, ctx) => activate(ctx.tf, x, l.activation),
  keras: (l) => [{ layer: "activation", config: { activation: l.activation } }],
  native(l, input) {
    if (l.activation === "linear") return "a linear activation layer";
    if (!stepActivations.includes(l.activation)) return `activation ${l.activation}`;
    const size = input.reduce((a, b) => a * b, 1);
    return { kind: "activation", in: size, out: size, [l.activation]: true };
  },
};
