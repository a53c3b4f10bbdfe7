import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { swiftShaderIcd } from "../../src/train/backends/webgpu/device.js";
import { cnnp } from "../helpers/cli.js";

/**
 * The webgpu back end as a user meets it through `cnnp run`: asked for, it trains on the software
 * adapter and the result names it; under `auto` a software adapter is passed by, saying why; a
 * model it has no kernels for fails its job with the reason.
 */
const dir = resolve("test", ".tmp", `webgpu-cli-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(name: string, body: string, ...flags: string[]) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.cnnp`);
  writeFileSync(file, `data fashion_mnist train 64 test 32\n${body}\n`);
  const results = join(dir, name);
  const prev = process.env.VK_ICD_FILENAMES;
  // The software adapter, visible to auto too (openGpu sets it itself only when asked by name).
  process.env.VK_ICD_FILENAMES = swiftShaderIcd;
  try {
    const r = cnnp("run", file, "--results", results, "--workers", "1", ...flags);
    const jobs = readdirSync(join(results, "jobs")).filter((f) => f.endsWith(".json"));
    const stored = jobs.map((f) => JSON.parse(readFileSync(join(results, "jobs", f), "utf8")));
    return { ...r, stored };
  } finally {
    if (prev === undefined) delete process.env.VK_ICD_FILENAMES;
    else process.env.VK_ICD_FILENAMES = prev;
  }
}

describe("cnnp run with the webgpu back end", { timeout: 300_000 }, () => {
  it("trains on the software adapter when asked for by name, and the result names the adapter", () => {
    const r = run("asked", "model conv4 pool dense10", "--backend", "webgpu");
    expect(r.code, r.err).toBe(0);
    expect(r.stored[0]?.status).toBe("ok");
    expect(r.stored[0]?.backend.name).toBe("webgpu");
    expect(r.stored[0]?.backend.detail).toMatch(/SwiftShader .*\(a software adapter\)/);
  });

  it("is passed by under auto when the only adapter is a software one, saying why", () => {
    const r = run("auto", "model conv4 pool dense10");
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/auto skipped webgpu: the only WebGPU adapter is a software one, .*SwiftShader/);
    expect(r.stored[0]?.backend.name).not.toBe("webgpu");
  });

  it("fails a job whose model it has no kernels for, with the reason and what to use instead", () => {
    const r = run("tanh", "model conv4(tanh) pool dense10", "--backend", "webgpu");
    expect(r.code).toBe(1);
    expect(r.stored[0]?.status).toBe("failed");
    expect(`${r.out}${r.err}`).toMatch(
      /no kernels for activation tanh yet: train this model with backend native/,
    );
  });
});
