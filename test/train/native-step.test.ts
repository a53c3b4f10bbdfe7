import { readFileSync } from "node:fs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ModelSpec } from "../../src/check/types.js";
import { compile } from "../../src/compile.js";
import { type Dataset, loadFashionMnist } from "../../src/data/idx-sets.js";
import { plan } from "../../src/plan/plan.js";
import type { Run } from "../../src/plan/types.js";
import { selectBackend } from "../../src/train/backends/select.js";
import { fitRun } from "../../src/train/fit.js";

/**
 * The native back end's whole training step (native/net.cc) against the same back end kernel by
 * kernel (CNNP_NATIVE_STEP=off): the same oneDNN primitives and TensorFlow.js' arithmetic for the
 * loss and the update, so the trained weights must be equal to the bit.
 */
let data: Dataset;
beforeAll(async () => {
  data = await loadFashionMnist({ download: false });
});
afterEach(() => {
  delete process.env.CNNP_NATIVE_STEP;
});

function runOf(settings: string, model = "conv8 pool dense10"): Run {
  const c = compile(
    `data fashion_mnist train 300 test 200\nepochs 2\nevaluate_every 1\n${settings}\nmodel m = ${model}\nexperiment "x" {}\n`,
    "t.cnnp",
  );
  const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
  if (!run) throw new Error(c.diagnostics.map((d) => d.message).join("; "));
  return run;
}

function train(run: Run, model: ModelSpec, step: "on" | "off") {
  process.env.CNNP_NATIVE_STEP = step;
  return fitRun({ ...run, model, saveAt: [run.epochs] }, data);
}

/** The study's distinct models, each once. */
function studyModels(): ModelSpec[] {
  const text = readFileSync(new URL("../../pipelines/fashion-mnist-study.cnnp", import.meta.url), "utf8");
  const c = compile(text, "fashion-mnist-study.cnnp");
  if (!c.pipeline) throw new Error("the study does not compile");
  const models = new Map<string, ModelSpec>();
  for (const r of plan(c.pipeline).runs) models.set(JSON.stringify(r.model.layers), r.model);
  return [...models.values()];
}

function expectSameTraining(a: ReturnType<typeof train>, b: ReturnType<typeof train>) {
  expect(a.steps.engine).toBe("native step");
  expect(b.steps.engine).toBe("tfjs");
  const wa = a.weights.get(a.epochs.length) ?? [];
  const wb = b.weights.get(b.epochs.length) ?? [];
  expect(wa.length).toBeGreaterThan(0);
  expect(wa.length).toBe(wb.length);
  for (const [i, w] of wa.entries())
    expect(Buffer.from(w.buffer).equals(Buffer.from((wb[i] as Float32Array).buffer))).toBe(true);
  for (const [e, r] of a.epochs.entries()) {
    const o = b.epochs[e];
    expect(r.accuracy).toBe(o?.accuracy);
    expect(r.test?.accuracy).toBe(o?.test?.accuracy);
    expect(r.test?.confusion).toEqual(o?.test?.confusion);
    expect(r.loss).toBe(o?.loss);
    expect(r.test?.loss).toBe(o?.test?.loss);
    expect(r.val?.loss).toBe(o?.val?.loss);
    expect(r.val?.accuracy).toBe(o?.val?.accuracy);
  }
}

describe.skipIf(Boolean(process.env.CNNP_SKIP_NATIVE))(
  "the native training step",
  { timeout: 600_000 },
  () => {
    beforeAll(async () => {
      await selectBackend("native");
    });

    it("trains every model of the study to the weights the kernel-by-kernel path gives, to the bit", () => {
      const run = runOf("");
      const models = studyModels();
      expect(models.length).toBeGreaterThanOrEqual(20);
      for (const model of models) expectSameTraining(train(run, model, "on"), train(run, model, "off"));
    });

    it("does so with momentum, held-out validation data, a short last batch and dropout in two places", () => {
      // 300 images in batches of 32 end with a batch of 12 (270 train, 30 validate: 14 of 30).
      const run = runOf(
        "momentum 0.9\nvalidation_split 0.1",
        "conv8 dropout0.3 conv8(same) pool3(stride=2) dense16 dropout0.5 dense10",
      );
      const a = train(run, run.model, "on");
      expectSameTraining(a, train(run, run.model, "off"));
      expect(a.valSamples).toBe(30);
    });

    it("leaves to TensorFlow.js what it does not do: another optimizer, another activation", () => {
      expect(train(runOf("optimizer adam"), runOf("").model, "on").steps.engine).toBe("tfjs");
      const tanh = runOf("", "conv8(tanh) pool dense10");
      expect(train(tanh, tanh.model, "on").steps.engine).toBe("tfjs");
    });
  },
);
