import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { type Dataset, loadFashionMnist } from "../../src/data/idx-sets.js";
import { plan } from "../../src/plan/plan.js";
import type { Run } from "../../src/plan/types.js";
import { loadCheckpoint, saveCheckpoint, savedCheckpoint } from "../../src/store/checkpoint.js";
import { selectBackend } from "../../src/train/backends/index.js";
import { fitRun } from "../../src/train/fit.js";
import type { TrainOutcome } from "../../src/train/types.js";
import { runOf } from "../helpers/runs.js";

/**
 * A run kept after some epochs and continued later (successive halving's candidates) must end
 * where training straight through ends: the same losses, accuracies and weights, to the bit, on
 * every path (kernel by kernel, the native whole step in slices), with momentum, Adam, dropout
 * and augment, through the checkpoint's JSON form.
 */
let data: Dataset;
beforeAll(async () => {
  data = await loadFashionMnist({ download: false });
});
afterEach(() => {
  delete process.env.CNNP_NATIVE_STEP;
});

/** Trained 4 epochs straight, and 2 + 2 through a checkpoint written as JSON and read back. */
async function bothWays(run: Run) {
  const req = { ...run, epochs: 4, evaluateAt: [2, 4], saveAt: [4] };
  const straight = await fitRun(req, data);
  const half = await fitRun({ ...req, epochs: 2, evaluateAt: [2], saveAt: [2], keep: true }, data);
  if (!half.checkpoint) throw new Error("no checkpoint kept");
  const json = JSON.parse(JSON.stringify(saveCheckpoint(run.id, half.checkpoint)));
  const resume = loadCheckpoint(savedCheckpoint.parse(json));
  if (typeof resume === "string") throw new Error(resume);
  const continued = await fitRun({ ...req, resume }, data);
  return { straight, half, continued };
}

const curve = (o: TrainOutcome) =>
  o.epochs.map((e) => [e.epoch, e.loss, e.accuracy, e.val?.loss ?? null, e.test?.accuracy ?? null]);

function expectSame(a: TrainOutcome, b: TrainOutcome) {
  expect(curve(b)).toEqual(curve(a));
  const wa = a.weights.get(4) ?? [];
  const wb = b.weights.get(4) ?? [];
  expect(wa.length).toBeGreaterThan(0);
  expect(wb.map((w) => [...w])).toEqual(wa.map((w) => [...w]));
}

describe("a run continued from its checkpoint", { timeout: 300_000 }, () => {
  it("ends where training straight through ends, to the bit, on the cpu kernels with momentum and validation data", async () => {
    await selectBackend("cpu");
    const { straight, half, continued } = await bothWays(
      runOf("conv4 pool dense10", 256, "validation_split 0.25\nbatch 20"),
    );
    expectSame(straight, continued);
    // The first two epochs are the kept run's records, not trained again.
    expect(continued.epochs.slice(0, 2)).toEqual(half.epochs);
    expect(continued.steps.seconds).toBeGreaterThan(half.steps.seconds);
  });

  it("does so with Adam's moments, step count and running powers of beta (64 steps)", async () => {
    await selectBackend("cpu");
    const c = compile(
      "data fashion_mnist train 256 test 300\nbatch 8\noptimizer adam\nmodel m = conv4 pool dense10\n",
      "a.cnnp",
    );
    expect(c.diagnostics).toEqual([]);
    const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
    if (!run) throw new Error("no run");
    const { straight, continued } = await bothWays(run);
    expectSame(straight, continued);
  });

  it("does so with dropout and augment, whose streams go on where they stood", async () => {
    await selectBackend("cpu");
    const { straight, continued } = await bothWays(
      runOf("augment(flip=on, shift=2) conv4 pool dropout0.3 dense10", 128),
    );
    expectSame(straight, continued);
  });

  it.skipIf(Boolean(process.env.CNNP_SKIP_NATIVE))(
    "does so in the native whole step, its momentum's velocity kept, in slices, with a residual block and with batchnorm",
    async () => {
      await selectBackend("native");
      for (const model of [
        "conv8 pool dropout0.2 dense16 dense10",
        "conv4(same) residual(conv4(same) conv4(same, linear)) relu pool dense10",
        "conv4 batchnorm pool dense10",
      ]) {
        const { straight, continued } = await bothWays(runOf(model, 512));
        expect(continued.steps.engine).toBe("native step");
        expectSame(straight, continued);
      }
    },
  );

  it("does so in the WebGPU step (SwiftShader here), its velocity, Adam's moments and its step count kept", async () => {
    await selectBackend("webgpu");
    const momentum = await bothWays(runOf("conv4 batchnorm pool dropout0.3 dense10", 256));
    expect(momentum.continued.steps.engine).toBe("webgpu step");
    expectSame(momentum.straight, momentum.continued);
    const c = compile(
      "data fashion_mnist train 256 test 300\noptimizer adam\nmodel m = conv4 pool dense10\n",
      "a.cnnp",
    );
    const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
    if (!run) throw new Error("no run");
    const adam = await bothWays(run);
    expectSame(adam.straight, adam.continued);
  });

  it("is refused when its checkpoint's arrays do not fit the network", async () => {
    await selectBackend("cpu");
    const run = runOf("conv4 pool dense10", 64);
    const half = await fitRun({ ...run, epochs: 1, evaluateAt: [1], keep: true }, data);
    if (!half.checkpoint) throw new Error("no checkpoint kept");
    const other = runOf("conv8 pool dense10", 64);
    await expect(
      fitRun({ ...other, epochs: 2, evaluateAt: [2], resume: half.checkpoint }, data),
    ).rejects.toThrow(/checkpoint does not fit it: its weight array 1 holds 36 values, not 72/);
  });
});
