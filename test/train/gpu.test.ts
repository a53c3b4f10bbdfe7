import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { OkResult } from "../../src/store/schema.js";
import { cnnp } from "../helpers/cli.js";

/**
 * The GPU back end as a user without one, or with one, meets it. @tensorflow/tfjs-node-gpu cannot
 * be installed here, so stand-ins of the package, found through NODE_PATH, behave as the real one
 * does: failing to load a CUDA library, or loading with or without a GPU device.
 */
const dir = resolve("test", ".tmp", `gpu-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, "g.cnnp");

/** A stand-in package whose index.js is `body`, on a NODE_PATH of its own. */
function standIn(name: string, body: string): string {
  const root = join(dir, name);
  const pkg = join(root, "@tensorflow", "tfjs-node-gpu");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, "package.json"), '{"name":"@tensorflow/tfjs-node-gpu","version":"4.22.0"}');
  writeFileSync(join(pkg, "index.js"), body);
  return `${root}:${resolve("node_modules")}`;
}

/**
 * Registers tfjs' "tensorflow" back end, as tfjs-node-gpu does, but with the cpu back end's
 * kernels, reporting a GPU device or not as tfjs-node's back end does (isUsingGpuDevice).
 */
const loads = (gpu: boolean) => `
const tf = require("@tensorflow/tfjs-core");
const { MathBackendCPU } = require("@tensorflow/tfjs-backend-cpu");
tf.registerBackend("tensorflow", () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: ${gpu} }));
for (const k of tf.getKernelsForBackend("cpu")) tf.registerKernel({ ...k, backendName: "tensorflow" });
`;

function run(nodePath: string, name: string, ...flags: string[]) {
  const results = join(dir, name);
  const prev = process.env.NODE_PATH;
  process.env.NODE_PATH = nodePath;
  try {
    return { ...cnnp("run", file, "--results", results, "--workers", "1", ...flags), results };
  } finally {
    if (prev === undefined) delete process.env.NODE_PATH;
    else process.env.NODE_PATH = prev;
  }
}

const resultsIn = (folder: string) =>
  readdirSync(join(folder, "jobs"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(folder, "jobs", f), "utf8")) as OkResult);

describe("the GPU back end", { timeout: 120_000 }, () => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, "data fashion_mnist train 64 test 32\nmodel conv4 pool flatten dense10\n");

  it("names the missing CUDA library and the versions tfjs-node-gpu 4.22 needs when it does not load", () => {
    const path = standIn(
      "missing",
      'throw new Error("libcudart.so.11.0: cannot open shared object file: No such file or directory");',
    );
    const asked = run(path, "asked", "--backend", "tensorflow-gpu");
    expect(asked.code).toBe(1);
    const said = asked.out + asked.err;
    expect(said).toContain("@tensorflow/tfjs-node-gpu did not load: libcudart.so.11.0 is missing");
    expect(said).toContain("needs an NVIDIA driver newer than 450, CUDA 11.2 and cuDNN 8.1");
    expect(asked.err).toMatch(
      /0 of 1 job done \(0 from earlier runs\), 1 not available \(their back end did not load/,
    );
    // Not a failure of training: recorded as not available here, and shown so, apart from failed jobs.
    const [stored] = resultsIn(asked.results) as unknown as { status: string; unavailable?: boolean }[];
    expect(stored).toMatchObject({ status: "failed", unavailable: true });
    const status = cnnp("status", file, "--results", asked.results);
    expect(status.out).toMatch(/jobs {2}done {2}failed {2}not available/);
    expect(status.out).toMatch(
      /all: 0 of 1 jobs done, 0 failed, 1 not available on the hosts that tried them/,
    );
    expect(status.out).toMatch(/not available: .* on \S+: @tensorflow\/tfjs-node-gpu did not load/);
    const table = cnnp("results", file, "--results", asked.results);
    expect(table.out).toContain("0/1 (1 not available)");
    expect(table.out).toMatch(/not available on \S+: @tensorflow\/tfjs-node-gpu did not load/);
    expect(table.out).not.toMatch(/\bfailed\b/);
    const auto = run(path, "auto");
    expect(auto.code, auto.err).toBe(0);
    // webgpu comes first in auto's order; with no GPU adapter here it is skipped too.
    expect(auto.err).toMatch(
      /auto skipped (webgpu: [^;]*; )?tensorflow-gpu: .*libcudart\.so\.11\.0 is missing/,
    );
  });

  it("auto prefers it when it loads and finds a GPU, and skips it when it finds none", () => {
    const gpu = run(standIn("gpu", loads(true)), "with-gpu");
    expect(gpu.code, gpu.err).toBe(0);
    const [r] = resultsIn(gpu.results);
    expect(r?.backend.name).toBe("tensorflow-gpu");
    expect(r?.backend.detail).toBe("libtensorflow with CUDA, on the GPU");
    const none = run(standIn("no-gpu", loads(false)), "without-gpu");
    expect(none.code, none.err).toBe(0);
    expect(none.err).toMatch(
      /auto skipped (webgpu: [^;]*; )?tensorflow-gpu: @tensorflow\/tfjs-node-gpu loaded but found no GPU device/,
    );
    expect(resultsIn(none.results)[0]?.backend.name).not.toBe("tensorflow-gpu");
  });
});
