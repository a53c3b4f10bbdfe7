import { createRequire } from "node:module";
import { tf } from "../../tf.js";
import { activate, firstLine, pkgVersion, quietly } from "../load.js";
import { type Backend, BackendUnavailable } from "../types.js";

const require = createRequire(import.meta.url);

/** What @tensorflow/tfjs-node-gpu 4.22 (libtensorflow 2.9.1) needs, per its README. */
export const gpuNeeds =
  "@tensorflow/tfjs-node-gpu 4.22 needs an NVIDIA driver newer than 450, CUDA 11.2 and cuDNN 8.1.";

/** Why the binding did not load, in one line with what to do. */
function whyNot(e: unknown, pkg: string, gpu: boolean): string {
  const code = (e as NodeJS.ErrnoException).code;
  const line = firstLine(e);
  // A shared library the binding needs and the loader did not find, e.g. libcudart.so.11.0.
  const missing = /(lib[\w+-]+\.so[\w.]*): cannot open shared object file/.exec(line)?.[1];
  if (code === "MODULE_NOT_FOUND" && line.includes(`'${pkg}'`))
    return `${pkg} is not installed (it is optional: npm install ${pkg}, which downloads libtensorflow)`;
  if (missing)
    return `${pkg} did not load: ${missing} is missing (${line}).${gpu ? ` ${gpuNeeds}` : ""} Put the library's folder on LD_LIBRARY_PATH`;
  return `${pkg} did not load: ${line}`;
}

/** libtensorflow through @tensorflow/tfjs-node, or its CUDA build @tensorflow/tfjs-node-gpu: optional packages. */
function libtensorflow(gpu: boolean): Backend {
  const name = gpu ? "tensorflow-gpu" : "tensorflow";
  const pkg = gpu ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
  return {
    name,
    async load() {
      try {
        quietly(() => require(pkg));
      } catch (e) {
        throw new BackendUnavailable(whyNot(e, pkg, gpu));
      }
      await activate("tensorflow");
      const versions = { "tfjs-core": tf.version_core, [pkg.slice("@tensorflow/".length)]: pkgVersion(pkg) };
      if (!gpu) return { name, tfjsBackend: "tensorflow", versions, detail: "libtensorflow" };
      // libtensorflow with CUDA falls back to the CPU when it finds no GPU device: say so.
      if ((tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice !== true)
        throw new BackendUnavailable(
          `${pkg} loaded but found no GPU device, so it would train on the CPU. ${gpuNeeds}`,
        );
      return { name, tfjsBackend: "tensorflow", versions, detail: "libtensorflow with CUDA, on the GPU" };
    },
  };
}

export const tensorflow = libtensorflow(false);
export const tensorflowGpu = libtensorflow(true);
