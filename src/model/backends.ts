/**
 * The back ends, by the names pipelines, results and the CLI use: the one list the checker, the
 * result schema, a worker's payload check and `auto` read. Each one's code is a folder of
 * src/train/backends/, registered in its index.ts.
 */
export const backendNames = ["wasm", "cpu", "native", "tensorflow", "tensorflow-gpu", "webgpu"] as const;
export type BackendName = (typeof backendNames)[number];

/** Fastest first: the order `auto` tries them in. */
export const autoOrder: readonly BackendName[] = [
  "webgpu",
  "tensorflow-gpu",
  "tensorflow",
  "native",
  "wasm",
  "cpu",
];

/** What a pipeline may ask for: a back end, or `auto` (the fastest that loads). */
export const backends = ["auto", ...backendNames] as const;
export type Backend = (typeof backends)[number];
