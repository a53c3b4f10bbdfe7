import { beforeAll, describe, expect, it } from "vitest";
import { type Dataset, loadFashionMnist } from "../../src/data/idx-sets.js";
import type { Run } from "../../src/plan/types.js";
import { selectBackend } from "../../src/train/backends/index.js";
import { layersArtifacts } from "../../src/train/export.js";
import { fitRun } from "../../src/train/fit.js";
import { runOf } from "../helpers/runs.js";
import { savedAccuracy } from "../helpers/saved-model.js";

/**
 * batchnorm, avgpool, globalpool and augment: the native back end's whole step against
 * TensorFlow.js' cpu kernels, and the saved model against tfjs-layers' own layers.
 */
let data: Dataset;
beforeAll(async () => {
  data = await loadFashionMnist({ download: false });
});

async function train(run: Run, backend: "native" | "cpu") {
  await selectBackend(backend);
  return await fitRun({ ...run, epochs: 1, evaluateAt: [1], saveAt: [1] }, data);
}

const models = [
  "conv8 batchnorm pool conv8 batchnorm avgpool dense16 batchnorm dense10",
  "augment(shift=3) conv8 avgpool3(stride=2) conv8(activation=linear) batchnorm dropout0.25 globalpool dense10",
  "batchnorm conv4 pool globalpool batchnorm dense10",
];

describe.skipIf(Boolean(process.env.CNNP_SKIP_NATIVE))(
  "the new layers on the native back end",
  { timeout: 300_000 },
  () => {
    for (const model of models)
      it(`trains ${model} by the whole step as the cpu back end does, within 1e-4`, async () => {
        const run = runOf(model);
        const native = await train(run, "native");
        const cpu = await train(run, "cpu");
        expect(native.steps.engine).toBe("native step");
        expect(cpu.steps.engine).toBe("tfjs");
        const a = native.weights.get(1) ?? [];
        const b = cpu.weights.get(1) ?? [];
        expect(a.map((w) => w.length)).toEqual(b.map((w) => w.length));
        let largest = 0;
        a.forEach((w, j) => {
          w.forEach((v, k) => {
            largest = Math.max(largest, Math.abs(v - (b[j]?.[k] ?? Number.NaN)));
          });
        });
        expect(largest).toBeLessThan(1e-4);
        const [e, f] = [native.epochs[0], cpu.epochs[0]];
        expect(Math.abs((e?.loss ?? 0) - (f?.loss ?? 1))).toBeLessThan(1e-4);
        expect(Math.abs((e?.test?.loss ?? 0) - (f?.test?.loss ?? 1))).toBeLessThan(1e-4);
      });
  },
);

describe("a saved model with batchnorm", { timeout: 300_000 }, () => {
  it("gives, loaded into tfjs-layers (its own BatchNormalization at inference), the test accuracy the run measured", async () => {
    const run = runOf("conv8 batchnorm pool conv8 batchnorm globalpool dense10", 512);
    // On native, the run's evaluation is the addon's inference with the moving statistics.
    const outcome = await train(run, process.env.CNNP_SKIP_NATIVE ? "cpu" : "native");
    const weights = outcome.weights.get(1);
    if (!weights) throw new Error("no weights");
    // The moving statistics moved from Keras' start (mean 0, variance 1) over the 16 steps.
    const movingMean = weights.at(-4) as Float32Array;
    expect(movingMean.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    const art = await layersArtifacts(run.model, weights, "test");
    expect(await savedAccuracy(art, data, 300)).toBe(outcome.epochs[0]?.test?.accuracy);
  });
});
