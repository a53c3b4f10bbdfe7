import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Chromium's SwiftShader, a software Vulkan driver Debian's chromium ships: an adapter anywhere. */
export const swiftShaderIcd = "/usr/lib/chromium/vk_swiftshader_icd.json";

/** The adapter a device came from, as results and the environment page name it. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A fallback (software) adapter: `auto` never takes one. */
  fallback: boolean;
}

export interface Gpu {
  device: GPUDevice;
  adapter: AdapterInfo;
  /** Dawn's instance: it must outlive the device (collected, it takes the device's threads with it). */
  instance: GPU;
}

type WebGpuModule = { create(flags: string[]): GPU; globals: Record<string, unknown> };

/** Instances made while looking for an adapter: kept, since Dawn's threads must outlive them. */
const instances: GPU[] = [];

/** An adapter of a fresh instance, with SwiftShader's driver as the only one when `swiftShader`. */
async function adapterOf(webgpu: WebGpuModule, swiftShader: boolean) {
  const before = process.env.VK_ICD_FILENAMES;
  // The loader reads the driver list when an instance is made; put the caller's back afterwards.
  if (swiftShader) process.env.VK_ICD_FILENAMES = swiftShaderIcd;
  const restore = quietWayland();
  try {
    const instance = webgpu.create([]);
    instances.push(instance);
    return { instance, adapter: await instance.requestAdapter() };
  } finally {
    restore();
    if (swiftShader) {
      if (before === undefined) delete process.env.VK_ICD_FILENAMES;
      else process.env.VK_ICD_FILENAMES = before;
    }
  }
}

/**
 * Dawn's WebGPU for Node (the optional `webgpu` package) and an adapter of it, or why there is
 * none, in one line. A GPU's adapter first; with `software`, when there is none, Chromium's
 * SwiftShader (a software Vulkan driver) if it is installed. The device asks for the adapter's
 * own limits on buffer sizes (WebGPU's defaults, 128 MiB a binding, are below a data set's).
 */
export async function openGpu(opts: { software?: boolean } = {}): Promise<Gpu | string> {
  let webgpu: WebGpuModule;
  try {
    // By a variable: the package is optional, so the type-check must not need it.
    const name = "webgpu";
    webgpu = (await import(name)) as WebGpuModule;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ERR_MODULE_NOT_FOUND"
      ? "the webgpu package is not installed (it is optional: npm install webgpu)"
      : `the webgpu package did not load: ${(e as Error).message.split("\n")[0]}`;
  }
  Object.assign(globalThis, webgpu.globals);
  let found: Awaited<ReturnType<typeof adapterOf>>;
  try {
    found = await adapterOf(webgpu, false);
    if (!found.adapter && opts.software && existsSync(swiftShaderIcd)) found = await adapterOf(webgpu, true);
  } catch (e) {
    return `WebGPU found no adapter: ${(e as Error).message.split("\n")[0]}`;
  }
  const { adapter, instance } = found;
  if (!adapter)
    return `WebGPU found no adapter: no Vulkan driver for a GPU here (install libvulkan1 and the GPU's driver${opts.software ? "" : ", or ask for backend webgpu to use a software adapter"})`;
  const info = adapter.info;
  const { maxStorageBufferBindingSize, maxBufferSize } = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: { maxStorageBufferBindingSize, maxBufferSize },
  });
  return {
    device,
    instance,
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      fallback: (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
    },
  };
}

/**
 * SwiftShader's driver looks for a Wayland display when Dawn enumerates adapters, and Wayland's
 * library prints an error line when XDG_RUNTIME_DIR is unset (as in containers and CI). Meanwhile
 * it points at an empty private folder; returns what puts it back.
 */
function quietWayland(): () => void {
  if (process.env.XDG_RUNTIME_DIR) return () => {};
  const dir = mkdtempSync(join(tmpdir(), "cnnp-xdg-"));
  process.env.XDG_RUNTIME_DIR = dir;
  return () => {
    delete process.env.XDG_RUNTIME_DIR;
    rmSync(dir, { recursive: true, force: true });
  };
}
