/**
 * The back-end registry: each back end in its own folder behind one interface (types.ts). The
 * names and `auto`'s order are src/model/backends.ts; `selectBackend` loads one and makes it the
 * one the fit loop trains with.
 */
import { type Backend as Asked, autoOrder, type BackendName } from "../../model/index.js";
import { cpu } from "./cpu/index.js";
import { firstLine } from "./load.js";
import { native } from "./native/index.js";
import { tensorflow, tensorflowGpu } from "./tensorflow/index.js";
import { type Backend, type BackendInfo, BackendUnavailable, type LoadOptions } from "./types.js";
import { wasm } from "./wasm/index.js";
import { webgpu } from "./webgpu/index.js";

export { gpuNeeds } from "./tensorflow/index.js";
export { type BackendInfo, BackendUnavailable, type WholeStep } from "./types.js";

const registry: Record<BackendName, Backend> = {
  wasm,
  cpu,
  native,
  tensorflow,
  "tensorflow-gpu": tensorflowGpu,
  webgpu,
};

let active: Backend | undefined;

/** The back end selected last: what the fit loop trains with. */
export function activeBackend(): Backend | undefined {
  return active;
}

async function load(name: BackendName, opts: LoadOptions): Promise<BackendInfo> {
  const info = await registry[name].load(opts);
  active = registry[name];
  return info;
}

export interface Selected {
  info: BackendInfo;
  /** Back ends `auto` skipped, with why. */
  skipped: { name: string; why: string }[];
}

/** Loads and activates a back end; `auto` takes the fastest that loads. */
export async function selectBackend(name: Asked, opts: LoadOptions = {}): Promise<Selected> {
  if (name !== "auto") return { info: await load(name, opts), skipped: [] };
  const skipped: { name: string; why: string }[] = [];
  for (const candidate of autoOrder) {
    try {
      return { info: await load(candidate, { ...opts, auto: true }), skipped };
    } catch (e) {
      skipped.push({ name: candidate, why: firstLine(e) });
    }
  }
  throw new BackendUnavailable(`no back end loaded: ${skipped.map((s) => `${s.name}: ${s.why}`).join("; ")}`);
}
