import { createRequire } from "node:module";
import { useGradients } from "../gradients.js";
import { tf } from "../tf.js";
import { BackendUnavailable } from "./types.js";

const require = createRequire(import.meta.url);

/** An installed package's version, or "unknown". */
export function pkgVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** Runs f with console.warn and console.log silenced (packages that print banners on load). */
export function quietly<T>(f: () => T): T {
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

export function firstLine(e: unknown): string {
  const m = (e as Error)?.message ?? String(e);
  return m.split("\n")[0]?.trim() ?? m;
}

/** Makes TensorFlow.js' back end of this name the active one, with cnnp's gradients. */
export async function activate(tfjsName: string, kernels: "fast" | "stock" = "fast"): Promise<void> {
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
