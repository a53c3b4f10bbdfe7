import { tf } from "../../tf.js";
import { type Addon, loadAddon } from "./addon.js";
import { NativeBackend } from "./backend.js";
import { registerNativeKernels } from "./kernels.js";

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
