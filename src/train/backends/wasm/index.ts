import { createRequire } from "node:module";
import { tf } from "../../tf.js";
import { activate, pkgVersion, quietly } from "../load.js";
import type { Backend } from "../types.js";
import { useWasmKernels } from "./kernels.js";

const require = createRequire(import.meta.url);

/** TensorFlow.js' WebAssembly back end (XNNPACK), with cnnp's training kernels. */
export const wasm: Backend = {
  name: "wasm",
  async load(opts) {
    quietly(() => require("@tensorflow/tfjs-backend-wasm"));
    await activate("wasm", opts.kernels);
    useWasmKernels(opts.kernels ?? "fast");
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    return {
      name: "wasm",
      tfjsBackend: "wasm",
      versions: {
        "tfjs-core": tf.version_core,
        "tfjs-backend-wasm": pkgVersion("@tensorflow/tfjs-backend-wasm"),
      },
      detail: `${simd ? "SIMD" : "no SIMD"}, 1 thread, ${opts.kernels === "stock" ? "stock kernels + filter gradient" : "cnnp training kernels"}`,
    };
  },
};
