import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { type Dataset, loadFashionMnist } from "../../src/data/idx-sets.js";
import { plan } from "../../src/plan/plan.js";
import type { Run } from "../../src/plan/types.js";
import { selectBackend } from "../../src/train/backends/index.js";
import { fitRun } from "../../src/train/fit.js";

/**
 * The WebGPU back end trains whole epochs on the GPU (SwiftShader here and in CI) and lands where
 * the native back end does for the same seed: the same starting weights, the same batches, the
 * same arithmetic in float32 (summed in another order).
 */
let data: Dataset;
beforeAll(async () => {
  data = await loadFashionMnist({ download: false });
});

function runOf(model: string, settings = ""): Run {
  const c = compile(
    `data fashion_mnist train 2048 test 1000\nepochs 2\nevaluate_every 1\nlearning_rate 0.05\nmomentum 0.9\n${settings}\nmodel m = ${model}\nexperiment "x" {}\n`,
    "t.cnnp",
  );
  const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
  if (!run) throw new Error(c.diagnostics.map((d) => d.message).join("; "));
  return run;
}

describe("the webgpu back end", { timeout: 600_000 }, () => {
  it("trains conv8 pool conv8 pool dense32 dense10 on 2,048 images for 2 epochs within 0.02 of native's test accuracy and loss", async () => {
    const run = runOf("conv8 pool conv8 pool dense32 dense10");
    const gpu = await selectBackend("webgpu");
    expect(gpu.info.name).toBe("webgpu");
    const a = await fitRun({ ...run, saveAt: [2] }, data);
    await selectBackend("native");
    const b = await fitRun({ ...run, saveAt: [2] }, data);
    expect(a.steps.engine).toBe("webgpu step");
    const ta = a.epochs[1]?.test;
    const tb = b.epochs[1]?.test;
    expect(tb?.accuracy).toBeGreaterThan(0.5);
    expect(Math.abs((ta?.accuracy ?? 0) - (tb?.accuracy ?? 1))).toBeLessThanOrEqual(0.02);
    expect(Math.abs((ta?.loss ?? 0) - (tb?.loss ?? 1))).toBeLessThanOrEqual(0.02);
    // In fact the same arithmetic in float32, summed in another order: far closer than the issue asks.
    for (const [i, e] of a.epochs.entries()) {
      expect(Math.abs(e.loss - (b.epochs[i]?.loss ?? 1))).toBeLessThanOrEqual(1e-4);
      expect(Math.abs((e.test?.loss ?? 0) - (b.epochs[i]?.test?.loss ?? 1))).toBeLessThanOrEqual(1e-4);
    }
  });

  it("trains a short last batch and holds out validation data as native does: every loss and accuracy within 1e-4", async () => {
    const c = compile(
      `data fashion_mnist train 300 test 200\nepochs 2\nevaluate_every 1\nbatch 32\nvalidation_split 0.1\nlearning_rate 0.05\nmomentum 0.9\nmodel m = conv4 pool dropout0 dense16 dense10\nexperiment "x" {}\n`,
      "t.cnnp",
    );
    const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
    if (!run) throw new Error(c.diagnostics.map((d) => d.message).join("; "));
    await selectBackend("webgpu");
    const a = await fitRun(run, data);
    await selectBackend("native");
    const b = await fitRun(run, data);
    // 270 training images: 8 full batches of 32 and one of 14.
    expect(a.trainSamples).toBe(270);
    expect(a.valSamples).toBe(30);
    for (const [i, e] of a.epochs.entries()) {
      const o = b.epochs[i];
      for (const [x, y] of [
        [e.loss, o?.loss],
        [e.accuracy, o?.accuracy],
        [e.val?.loss, o?.val?.loss],
        [e.val?.accuracy, o?.val?.accuracy],
        [e.test?.loss, o?.test?.loss],
        [e.test?.accuracy, o?.test?.accuracy],
      ])
        expect(Math.abs((x ?? Number.NaN) - (y ?? Number.NaN))).toBeLessThanOrEqual(1e-4);
    }
  });

  it("refuses, with the layer and what to do, a batch whose buffers are more than the GPU binds at once", async () => {
    const c = compile(
      `data fashion_mnist train 64 test 32\nbatch 60000\nmodel m = conv32 pool dense10\nexperiment "x" {}\n`,
      "t.cnnp",
    );
    const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
    if (!run) throw new Error(c.diagnostics.map((d) => d.message).join("; "));
    await selectBackend("webgpu");
    await expect(fitRun(run, data)).rejects.toThrow(
      /layer 1 \(conv\) needs \d+ MiB for a batch of 60000, more than this GPU binds at once \(\d+ MiB\); lower the batch/,
    );
  });
});
