import { createRequire } from "node:module";
import type { Backend } from "../../model/index.js";
import { useGradients } from "../gradients.js";
import { tf } from "../tf.js";
import { registerNative } from "./native/index.js";
import { stepSlices } from "./native/net.js";
import { useWasmKernels } from "./wasm-kernels.js";

const require = createRequire(import.meta.url);

/** What ran a job: recorded in every result. */
export interface BackendInfo {
  /** cnnp's name: wasm, cpu, native, tensorflow, tensorflow-gpu. */
  name: Exclude<Backend, "auto">;
  /** TensorFlow.js' name of the back end. */
  tfjsBackend: string;
  versions: Record<string, string>;
  /** e.g. "SIMD, 1 thread, cnnp training kernels". */
  detail: string;
}

/** What @tensorflow/tfjs-node-gpu 4.22 (libtensorflow 2.9.1) needs, per its README. */
export const gpuNeeds =
  "@tensorflow/tfjs-node-gpu 4.22 needs an NVIDIA driver newer than 450, CUDA 11.2 and cuDNN 8.1.";

/** A back end that cannot be used here, with a one-line reason and what to do. */
export class BackendUnavailable extends Error {}

/** Fastest first: what `auto` tries. */
export const autoOrder: Exclude<Backend, "auto">[] = [
  "tensorflow-gpu",
  "tensorflow",
  "native",
  "wasm",
  "cpu",
];

function pkgVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function quietly<T>(f: () => T): T {
  const warn = console.warn;
  const log = console.log;
  console.warn = () => {};
  console.log = () => {};
  try {
    return f();
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

function firstLine(e: unknown): string {
  const m = (e as Error)?.message ?? String(e);
  return m.split("\n")[0]?.trim() ?? m;
}

async function activate(tfjsName: string, kernels: "fast" | "stock" = "fast"): Promise<void> {
  useGradients(kernels);
  const ok = await tf.setBackend(tfjsName);
  // The cpu back end prints a banner suggesting tfjs-node on its first write; cnnp's back-end
  // choice says that itself.
  for (const name of ["cpu", tfjsName]) {
    const b = tf.findBackend(name) as { firstUse?: boolean } | null;
    if (b) b.firstUse = false;
  }
  if (!ok) throw new BackendUnavailable(`TensorFlow.js could not start its '${tfjsName}' back end`);
  await tf.ready();
}

async function load(
  name: Exclude<Backend, "auto">,
  opts: { kernels?: "fast" | "stock" },
): Promise<BackendInfo> {
  const versions: Record<string, string> = { "tfjs-core": tf.version_core };
  switch (name) {
    case "cpu": {
      await activate("cpu");
      return { name, tfjsBackend: "cpu", versions, detail: "pure JavaScript, 1 thread" };
    }
    case "wasm": {
      quietly(() => require("@tensorflow/tfjs-backend-wasm"));
      await activate("wasm", opts.kernels);
      useWasmKernels(opts.kernels ?? "fast");
      versions["tfjs-backend-wasm"] = pkgVersion("@tensorflow/tfjs-backend-wasm");
      const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
      return {
        name,
        tfjsBackend: "wasm",
        versions,
        detail: `${simd ? "SIMD" : "no SIMD"}, 1 thread, ${opts.kernels === "stock" ? "stock kernels + filter gradient" : "cnnp training kernels"}`,
      };
    }
    case "tensorflow":
    case "tensorflow-gpu": {
      const pkg = name === "tensorflow" ? "@tensorflow/tfjs-node" : "@tensorflow/tfjs-node-gpu";
      try {
        quietly(() => require(pkg));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const line = firstLine(e);
        // A shared library the binding needs and the loader did not find, e.g. libcudart.so.11.0.
        const missing = /(lib[\w+-]+\.so[\w.]*): cannot open shared object file/.exec(line)?.[1];
        const why =
          code === "MODULE_NOT_FOUND" && line.includes(`'${pkg}'`)
            ? `${pkg} is not installed (it is optional: npm install ${pkg}, which downloads libtensorflow)`
            : missing
              ? `${pkg} did not load: ${missing} is missing (${line}).${name === "tensorflow-gpu" ? ` ${gpuNeeds}` : ""} Put the library's folder on LD_LIBRARY_PATH`
              : `${pkg} did not load: ${line}`;
        throw new BackendUnavailable(why);
      }
      await activate("tensorflow");
      versions[pkg.slice("@tensorflow/".length)] = pkgVersion(pkg);
      if (name === "tensorflow-gpu") {
        // libtensorflow with CUDA falls back to the CPU when it finds no GPU device: say so.
        const gpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
        if (!gpu)
          throw new BackendUnavailable(
            `${pkg} loaded but found no GPU device, so it would train on the CPU. ${gpuNeeds}`,
          );
        return { name, tfjsBackend: "tensorflow", versions, detail: "libtensorflow with CUDA, on the GPU" };
      }
      return { name, tfjsBackend: "tensorflow", versions, detail: "libtensorflow" };
    }
    case "native": {
      const addon = registerNative();
      if (typeof addon === "string") throw new BackendUnavailable(addon);
      await activate("native");
      versions.oneDNN = addon.version();
      versions["tfjs-backend-cpu"] = pkgVersion("@tensorflow/tfjs-backend-cpu");
      const slices = stepSlices(addon);
      return {
        name,
        tfjsBackend: "native",
        versions,
        detail: `oneDNN ${addon.version()}, ${addon.threads()} thread${addon.threads() === 1 ? "" : "s"}${slices > 1 ? ` (the whole step trains a batch in ${slices} slices at once, except with batchnorm)` : ""}; other kernels from the cpu back end`,
      };
    }
  }
}

export interface Selected {
  info: BackendInfo;
  /** Back ends `auto` skipped, with why. */
  skipped: { name: string; why: string }[];
}

/** Loads and activates a back end; `auto` takes the fastest that loads. */
export async function selectBackend(
  name: Backend,
  opts: { kernels?: "fast" | "stock" } = {},
): Promise<Selected> {
  if (name !== "auto") return { info: await load(name, opts), skipped: [] };
  const skipped: { name: string; why: string }[] = [];
  for (const candidate of autoOrder) {
    try {
      return { info: await load(candidate, opts), skipped };
    } catch (e) {
      skipped.push({ name: candidate, why: firstLine(e) });
    }
  }
  throw new BackendUnavailable(`no back end loaded: ${skipped.map((s) => `${s.name}: ${s.why}`).join("; ")}`);
}
