import { tf } from "../../tf.js";
import { activate, pkgVersion } from "../load.js";
import { type Backend, BackendUnavailable } from "../types.js";
import { type Addon, loadAddon } from "./addon.js";
import { NativeBackend } from "./backend.js";
import { registerNativeKernels } from "./kernels.js";
import { nativeNet, nativeStepRefusal, stepSlices } from "./net.js";

let addon: Addon | undefined;

/**
 * Registers TensorFlow.js' `native` back end: the cpu back end's kernels, with convolutions,
 * matrix products, pooling and the bias and relu gradients in the oneDNN addon. Returns the
 * addon, or why it is unavailable.
 */
export function registerNative(): Addon | string {
  if (addon) return addon;
  const loaded = loadAddon();
  if (typeof loaded === "string") return loaded;
  tf.registerBackend("native", () => new NativeBackend() as never, 0);
  registerNativeKernels(loaded);
  addon = loaded;
  return loaded;
}

/** The addon once the native back end is registered. */
export function nativeAddon(): Addon | undefined {
  return addon;
}

/** oneDNN through cnnp's addon: its kernels under TensorFlow.js, and its own whole training step. */
export const native: Backend = {
  name: "native",
  async load() {
    const addon = registerNative();
    if (typeof addon === "string") throw new BackendUnavailable(addon);
    await activate("native");
    const slices = stepSlices(addon);
    const threads = addon.threads();
    return {
      name: "native",
      tfjsBackend: "native",
      versions: {
        "tfjs-core": tf.version_core,
        oneDNN: addon.version(),
        "tfjs-backend-cpu": pkgVersion("@tensorflow/tfjs-backend-cpu"),
      },
      detail: `oneDNN ${addon.version()}, ${threads} thread${threads === 1 ? "" : "s"}${slices > 1 ? ` (the whole step trains a batch in ${slices} slices at once, except with batch statistics)` : ""}; other kernels from the cpu back end`,
    };
  },
  wholeStep(model, training, weights) {
    if (!addon || process.env.CNNP_NATIVE_STEP === "off" || nativeStepRefusal(model, training)) return null;
    return nativeNet(addon, model, training, weights);
  },
};
