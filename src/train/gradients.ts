import type { GradConfig } from "@tensorflow/tfjs-core";
import { type Tensor, tf } from "./tf.js";

let original: GradConfig | undefined;
let current: "fast" | "stock" = "stock";

/** Relu's gradient without tfjs' cast of an already-float step mask (a full copy per layer). */
const relu: GradConfig = {
  kernelName: "Relu",
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const x = (saved as Tensor[])[0] as Tensor;
    const mask = x.dtype === "float32" ? tf.step(x) : tf.cast(tf.step(x), "float32");
    return { x: () => tf.mul(dy as Tensor, mask) };
  },
};

/**
 * Gradient overrides: the same mathematics with less work (`fast`, the default), or tfjs' own
 * (`stock`, what the bench's stock measurement runs).
 */
export function useGradients(want: "fast" | "stock" = "fast"): void {
  if (want === current) return;
  original ??= tf.getGradient("Relu") as GradConfig;
  tf.registerGradient(want === "fast" ? relu : original);
  current = want;
}
