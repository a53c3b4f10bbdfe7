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

/**
 * Dawn's WebGPU for Node (the optional `webgpu` package) and an adapter of it, or why there is
 * none, in one line. `software`: when no other adapter is found, use SwiftShader's (Chromium's
 * software Vulkan driver) if it is installed; its path must be set before Dawn starts, so it is
 * asked for up front.
 */
export async function openGpu(opts: { software?: boolean } = {}): Promise<Gpu | string> {
  if (opts.software && !process.env.VK_ICD_FILENAMES && existsSync(swiftShaderIcd))
    process.env.VK_ICD_FILENAMES = swiftShaderIcd;
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
  let adapter: GPUAdapter | null;
  const instance = webgpu.create([]);
  const restore = quietWayland();
  try {
    adapter = await instance.requestAdapter();
  } catch (e) {
    return `WebGPU found no adapter: ${(e as Error).message.split("\n")[0]}`;
  } finally {
    restore();
  }
  if (!adapter)
    return `WebGPU found no adapter: no Vulkan driver for a GPU here (install libvulkan1 and the GPU's driver${opts.software ? "" : ", or ask for backend webgpu to use a software adapter"})`;
  const info = adapter.info;
  const device = await adapter.requestDevice();
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
