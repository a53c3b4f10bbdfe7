import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { type Dataset, loadFashionMnist } from "../../src/data/idx-sets.js";
import type { ModelSpec } from "../../src/model/index.js";
import { plan } from "../../src/plan/plan.js";
import type { Run } from "../../src/plan/types.js";
import { selectBackend } from "../../src/train/backends/index.js";
import { fitRun } from "../../src/train/fit.js";
import { studyModels } from "../helpers/study-models.js";

/**
 * The native back end's whole training step (native/net.cc) against the same back end kernel by
 * kernel (CNNP_NATIVE_STEP=off): the same oneDNN primitives and TensorFlow.js' arithmetic for the
 * loss and the update, so the trained weights must be equal to the bit when the step runs the
 * batch whole (CNNP_NATIVE_SLICES=1). In slices, a thread each, it sums the slices' gradients in
 * another order: the weights must then stay within the kernels' tolerance, 1e-4.
 */
let data: Dataset;
beforeAll(async () => {
  data = await loadFashionMnist({ download: false });
});
afterEach(() => {
  delete process.env.CNNP_NATIVE_STEP;
  delete process.env.CNNP_NATIVE_SLICES;
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

async function train(run: Run, model: ModelSpec, step: "on" | "off", slices = 1) {
  process.env.CNNP_NATIVE_STEP = step;
  process.env.CNNP_NATIVE_SLICES = String(slices);
  return await fitRun({ ...run, model, saveAt: [run.epochs] }, data);
}

/** The largest differences between two runs' trained weights, and between their learning curves' losses. */
function largestDifference(
  a: Awaited<ReturnType<typeof train>>,
  b: Awaited<ReturnType<typeof train>>,
): { weights: number; curve: number } {
  const wa = a.weights.get(a.epochs.length) ?? [];
  const wb = b.weights.get(b.epochs.length) ?? [];
  expect(wa.length).toBeGreaterThan(0);
  expect(wa.length).toBe(wb.length);
  let weights = 0;
  for (const [i, w] of wa.entries()) {
    const o = wb[i] as Float32Array;
    expect(o.length).toBe(w.length);
    for (let k = 0; k < w.length; k++)
      weights = Math.max(weights, Math.abs((w[k] as number) - (o[k] as number)));
  }
  let curve = 0;
  expect(a.epochs.length).toBe(b.epochs.length);
  for (const [e, r] of a.epochs.entries()) {
    const o = b.epochs[e];
    expect(r.test && o?.test).toBeTruthy();
    curve = Math.max(curve, Math.abs(r.loss - (o?.loss as number)));
    curve = Math.max(curve, Math.abs((r.test?.loss as number) - (o?.test?.loss as number)));
  }
  return { weights, curve };
}

function expectSameTraining(a: Awaited<ReturnType<typeof train>>, b: Awaited<ReturnType<typeof train>>) {
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

    it("trains every model of the study in one slice to the weights the kernel-by-kernel path gives, to the bit", async () => {
      const run = runOf("");
      const models = studyModels();
      expect(models.length).toBeGreaterThanOrEqual(20);
      for (const model of models)
        expectSameTraining(await train(run, model, "on"), await train(run, model, "off"));
    });

    it("does so with momentum, held-out validation data, a short last batch and dropout in two places", async () => {
      // 300 images in batches of 32 end with a batch of 12 (270 train, 30 validate: 14 of 30).
      const run = runOf(
        "momentum 0.9\nvalidation_split 0.1",
        "conv8 dropout0.3 conv8(same) pool3(stride=2) dense16 dropout0.5 dense10",
      );
      const a = await train(run, run.model, "on");
      expectSameTraining(a, await train(run, run.model, "off"));
      expect(a.valSamples).toBe(30);
    });

    it("trains a batch in two slices, a thread each, as one slice does, for every model of the study", async () => {
      // Over 2 batches the sums' order is all that differs: the weights agree to 1e-6. Over 2
      // epochs a rounding difference can flip a relu or a pooling window's maximum, which one
      // thread against two threads of the whole step also does (2.2e-4 in one bias of
      // drop_features 0.5 here): the learning curve must agree to 1e-4, the weights to 1e-3.
      const short = runOf("", "conv8 pool dense10").data;
      for (const model of studyModels()) {
        const two = runOf("");
        const brief = { ...two, epochs: 1, evaluateAt: [1], data: { ...short, train: 64 } };
        const sliced = await train(brief, model, "on", 2);
        expect(sliced.steps.slices, model.name).toBe(2);
        expect(
          largestDifference(sliced, await train(brief, model, "on", 1)).weights,
          model.name,
        ).toBeLessThanOrEqual(1e-6);
        const d = largestDifference(await train(two, model, "on", 2), await train(two, model, "on", 1));
        expect(d.curve, model.name).toBeLessThanOrEqual(1e-4);
        expect(d.weights, model.name).toBeLessThanOrEqual(1e-3);
      }
      // With momentum, dropout (its masks drawn for the whole batch, then sliced) and a short
      // last batch of 12 images, in three slices.
      const drop = runOf(
        "momentum 0.9\nvalidation_split 0.1",
        "conv8 dropout0.3 conv8(same) pool3(stride=2) dense16 dropout0.5 dense10",
      );
      const sliced = await train(drop, drop.model, "on", 3);
      expect(sliced.steps.slices).toBe(3);
      expect(largestDifference(sliced, await train(drop, drop.model, "on", 1)).curve).toBeLessThanOrEqual(
        1e-4,
      );
      // A dense kernel of a million bytes or more (26*26*8 by 256 here) has its gradient computed
      // by the sliced update, block by block: with momentum, a short last batch and 3 slices.
      const wide = runOf("momentum 0.9\nvalidation_split 0.1", "conv8 dense256 dense10");
      const brief = { ...wide, epochs: 1, evaluateAt: [1], data: { ...wide.data, train: 100 } };
      const three = await train(brief, wide.model, "on", 3);
      expect(three.steps.slices).toBe(3);
      expect(largestDifference(three, await train(brief, wide.model, "on", 1)).weights).toBeLessThanOrEqual(
        1e-6,
      );
    });

    it("updates the weights from a last batch of one image in two slices as one slice does", async () => {
      // 33 images at batch 32: the second step has one image, too few for two slices, so it runs
      // in one; its gradient must still reach the update (it used to read a gradient never written).
      const run = runOf("");
      const brief = { ...run, epochs: 1, evaluateAt: [1], data: { ...run.data, train: 33 } };
      for (const model of ["conv8 pool dense10", "conv8 dense256 dense10"]) {
        const m = runOf("", model).model;
        const whole = await train(brief, m, "on", 1);
        const sliced = await train(brief, m, "on", 2);
        expect(sliced.steps.slices).toBe(2);
        // With the one-image step lost, the weights were 8e-3 apart. The second model's large
        // dense kernel takes the sliced update's own path (its gradient computed block by block).
        expect(largestDifference(sliced, whole).weights, model).toBeLessThanOrEqual(1e-6);
      }
    });

    it("runs a network with batchnorm whole, since its statistics are the whole batch's", async () => {
      const run = runOf("", "conv8 batchnorm pool dense10");
      const asked = await train(run, run.model, "on", 2);
      expect(asked.steps.slices).toBe(1);
      expect(largestDifference(asked, await train(run, run.model, "on", 1))).toEqual({
        weights: 0,
        curve: 0,
      });
    });

    it("leaves to TensorFlow.js what it does not do: another optimizer, another activation", async () => {
      expect((await train(runOf("optimizer adam"), runOf("").model, "on")).steps.engine).toBe("tfjs");
      const tanh = runOf("", "conv8(tanh) pool dense10");
      expect((await train(tanh, tanh.model, "on")).steps.engine).toBe("tfjs");
    });
  },
);
