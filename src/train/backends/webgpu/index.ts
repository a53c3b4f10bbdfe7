import type { ModelSpec, TrainingSpec } from "../../../model/index.js";
import { tf } from "../../tf.js";
import { activate, pkgVersion } from "../load.js";
import { describeLayers, stepRefusal } from "../step-layers.js";
import { type Backend, BackendUnavailable } from "../types.js";
import { type AdapterInfo, type Gpu, openGpu } from "./device.js";
import { Kernels } from "./kernels.js";
import { gpuLayers } from "./layers/index.js";
import { GpuNet } from "./net.js";

/** Why the WebGPU step cannot train a model with this training, or null. */
export function gpuRefusal(model: ModelSpec, training: TrainingSpec): string | null {
  // Every optimizer: the update kernel has SGD, Adam and RMSprop.
  const why = stepRefusal(model, { ...training, optimizer: "sgd" });
  if (why) return why;
  const layers = describeLayers(model);
  if (typeof layers === "string") return layers;
  // A leading augment is not among them: the batch is moved as it is gathered.
  const missing = layers.find((l) => !(l.kind in gpuLayers));
  return missing ? `layer ${missing.kind}` : null;
}

/** The adapter as results name it: vendor, architecture, device, driver. */
export function adapterName(a: AdapterInfo): string {
  const parts = [a.vendor, a.architecture, a.device, a.description].filter((p) => p.length > 0);
  return `${parts.join(" / ") || "an unnamed adapter"}${a.fallback ? " (a software adapter)" : ""}`;
}

let opened: { gpu: Gpu; kernels: Kernels } | undefined;
/** Why `auto` found no adapter before: asked again for each run, it does not look again. */
let noAdapter: string | undefined;

/**
 * WebGPU through Dawn (the optional `webgpu` package): whole epochs of steps on the GPU
 * (net.ts); TensorFlow.js' cpu back end builds the network. `auto` takes it only on a real GPU and
 * for models it has kernels for; asked for by name it runs on any adapter, SwiftShader included.
 */
export const webgpu: Backend = {
  name: "webgpu",
  async load(opts) {
    if (opts.auto && opts.job) {
      const why = gpuRefusal(opts.job.model, opts.job.training);
      if (why) throw new BackendUnavailable(`the WebGPU step has no kernels for ${why} yet`);
    }
    if (opts.auto && noAdapter && !opened) throw new BackendUnavailable(noAdapter);
    if (!opened) {
      const gpu = await openGpu({ software: !opts.auto });
      if (typeof gpu === "string") {
        if (opts.auto) noAdapter = gpu;
        throw new BackendUnavailable(gpu);
      }
      const now = { gpu, kernels: new Kernels(gpu.device) };
      opened = now;
      // A lost device (a driver reset, the GPU taken away) is opened afresh next time.
      void gpu.device.lost.then(() => {
        if (opened === now) opened = undefined;
      });
    }
    const adapter = opened.gpu.adapter;
    if (opts.auto && adapter.fallback)
      throw new BackendUnavailable(
        `the only WebGPU adapter is a software one, ${adapterName(adapter)}, which auto passes by (ask for backend webgpu to train on it)`,
      );
    await activate("cpu");
    return {
      name: "webgpu",
      tfjsBackend: "cpu",
      versions: { "tfjs-core": tf.version_core, webgpu: pkgVersion("webgpu") },
      detail: `${adapterName(adapter)}; whole epochs on the GPU, read back once per epoch; the network built on the cpu back end`,
    };
  },
  wholeStep(model, training, weights, seed) {
    if (!opened) throw new Error("internal: the webgpu back end was not loaded");
    const why = gpuRefusal(model, training);
    if (why)
      throw new Error(`the WebGPU step has no kernels for ${why} yet: train this model with backend native`);
    const layers = describeLayers(model);
    if (typeof layers === "string") throw new Error(`webgpu: ${layers}`);
    return new GpuNet(opened.gpu.device, opened.kernels, layers, model, training, weights, seed);
  },
};
