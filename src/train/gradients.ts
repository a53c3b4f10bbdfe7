import { type Tensor, tf } from "./tf.js";

let done = false;

/**
 * Gradient overrides, the same mathematics with less work: tfjs' relu gradient casts its float
 * step mask to float, which on wasm is a full copy of the activation per layer and step.
 */
export function registerGradients(): void {
  if (done) return;
  done = true;
  tf.registerGradient({
    kernelName: "Relu",
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const [x] = saved as Tensor[];
      const mask =
        (x as Tensor).dtype === "float32" ? tf.step(x as Tensor) : tf.cast(tf.step(x as Tensor), "float32");
      return { x: () => tf.mul(dy as Tensor, mask) };
    },
  });
}
