import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { type Dataset, loadFashionMnist } from "../../src/data/idx-sets.js";
import type { ModelSpec } from "../../src/model/index.js";
import { plan } from "../../src/plan/plan.js";
import type { Run } from "../../src/plan/types.js";
import { selectBackend } from "../../src/train/backends/index.js";
import { fitRun } from "../../src/train/fit.js";
import { studyModels } from "../helpers/study-models.js";

/**
 * Every model of the study trains 2 steps (of 8 images: SwiftShader is slow) on webgpu and on
 * native from the same starting weights and batches, and ends with the same weights within the kernels' tolerance.
 * Dropout's masks come from different streams on the two (a hash on the GPU, the network's stream
 * on the CPU), so here dropout layers train at rate 0; the masks themselves are tested in
 * step-kernels.test.ts.
 */
let data: Dataset;
beforeAll(async () => {
  data = await loadFashionMnist({ download: false });
});

function twoSteps(): Run {
  const c = compile(
    `data fashion_mnist train 16 test 16\nepochs 1\nbatch 8\nlearning_rate 0.05\nmomentum 0.9\nmodel m = conv8 dense10\nexperiment "x" {}\n`,
    "t.cnnp",
  );
  const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
  if (!run) throw new Error(c.diagnostics.map((d) => d.message).join("; "));
  return run;
}

const withoutDropout = (m: ModelSpec): ModelSpec => ({
  ...m,
  layers: m.layers.map((l) => (l.type === "dropout" ? { ...l, rate: 0 } : l)),
});

async function weightsAfter(backend: "webgpu" | "native", run: Run, model: ModelSpec) {
  await selectBackend(backend);
  let start: Float32Array[] = [];
  const o = await fitRun({ ...run, model, evaluateAt: [1], saveAt: [1] }, data, {
    onStart: (net) => {
      start = net.weights.map((v) => (v.dataSync() as Float32Array).slice());
    },
  });
  return { start, weights: o.weights.get(1) ?? [], outcome: o };
}

/** The largest difference between two lists of arrays of the same shapes. */
function largest(a: Float32Array[], b: Float32Array[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (const [i, w] of a.entries()) {
    const o = b[i] as Float32Array;
    expect(w.length).toBe(o.length);
    for (let k = 0; k < w.length; k++) worst = Math.max(worst, Math.abs((w[k] as number) - (o[k] as number)));
  }
  return worst;
}

describe("the webgpu back end on the study's models", { timeout: 1_200_000 }, () => {
  it("trains each of the study's models 2 steps to native's weights within 1e-4, and to its test loss within 1e-4", async () => {
    const run = twoSteps();
    const models = studyModels();
    expect(models.length).toBeGreaterThanOrEqual(20);
    for (const original of models) {
      const model = withoutDropout(original);
      const a = await weightsAfter("webgpu", run, model);
      const b = await weightsAfter("native", run, model);
      expect(a.outcome.steps.engine).toBe("webgpu step");
      const name = original.name;
      expect({ name, worst: largest(a.weights, b.weights) <= 1e-4 }).toEqual({ name, worst: true });
      // The two steps moved the weights ten times the tolerance at least: a step that did nothing fails.
      expect(largest(a.weights, a.start)).toBeGreaterThan(1e-3);
      const la = a.outcome.epochs[0]?.test?.loss as number;
      const lb = b.outcome.epochs[0]?.test?.loss as number;
      expect(Math.abs(la - lb)).toBeLessThanOrEqual(1e-4);
    }
  });
});
