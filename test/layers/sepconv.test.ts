import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { type Dataset, loadFashionMnist } from "../../src/data/idx-sets.js";
import { formatSummary } from "../../src/layers/summary.js";
import { plan } from "../../src/plan/plan.js";
import type { Run } from "../../src/plan/types.js";
import { selectBackend } from "../../src/train/backends/index.js";
import { layersArtifacts } from "../../src/train/export.js";
import { fitRun } from "../../src/train/fit.js";
import { runOf } from "../helpers/runs.js";
import { savedAccuracy } from "../helpers/saved-model.js";

/**
 * sepconv (Keras' SeparableConv2D), the layer added through the registry: its parameters by
 * Keras' rule, its checks, its native whole step against TensorFlow.js' cpu kernels, and its
 * saved model in tfjs-layers.
 */
describe("sepconv in a pipeline", () => {
  it("gives conv32 pool sepconv32 pool dense128 dense10 Keras' 105,482 parameters", async () => {
    const c = compile("model m = conv32 pool sepconv32 pool dense128 dense10\n", "s.cnnp");
    expect(c.diagnostics).toEqual([]);
    const p = c.pipeline ? plan(c.pipeline) : undefined;
    const model = p?.models[0];
    expect(model?.totalParams).toBe(105_482);
    // depthwise 3*3*32*1 + pointwise 32*32 + bias 32
    expect(model?.layers.map((l) => [l.type, l.params])).toEqual([
      ["Conv2D", 320],
      ["MaxPooling2D", 0],
      ["SeparableConv2D", 1_344],
      ["MaxPooling2D", 0],
      ["Flatten", 0],
      ["Dense", 102_528],
      ["Dense", 1_290],
    ]);
    expect(formatSummary({ rows: model?.layers ?? [], totalParams: 105_482 })).toContain(
      "SeparableConv2D  (11, 11, 32)    1,344",
    );
  });

  it("counts multiplier= and strides as Keras does, and takes maps N like conv", async () => {
    const c = compile(
      'model m = sepconv16x5(multiplier=2, padding=same, stride=2) dense10\nexperiment "x" { maps 8 }\n',
      "s.cnnp",
    );
    expect(c.diagnostics).toEqual([]);
    const layers = c.pipeline ? plan(c.pipeline).models[0]?.layers : undefined;
    // depthwise 5*5*1*2 = 50, pointwise 2*8 = 16, bias 8; same padding, stride 2: 14x14
    expect(layers?.[0]).toMatchObject({ type: "SeparableConv2D", outputShape: [14, 14, 8], params: 74 });
  });

  it("rejects a bad multiplier and an unknown option at their places", async () => {
    const c = compile(
      "model m = sepconv8(multiplier=0) dense10\nmodel n = sepconv8(groups=2) dense10\n",
      "s.cnnp",
    );
    expect(c.diagnostics.map((d) => [d.code, d.span.line, d.message])).toEqual([
      ["E104", 1, "multiplier must be a whole number of at least 1"],
      ["E103", 2, "this layer has no option 'groups'"],
    ]);
  });
});

let data: Dataset;

describe.skipIf(Boolean(process.env.CNNP_SKIP_NATIVE))(
  "sepconv on the native back end",
  { timeout: 300_000 },
  () => {
    beforeAll(async () => {
      data = await loadFashionMnist({ download: false });
    });

    async function train(run: Run, backend: "native" | "cpu") {
      await selectBackend(backend);
      return await fitRun({ ...run, epochs: 1, evaluateAt: [1], saveAt: [1] }, data);
    }

    for (const model of [
      "conv8 pool sepconv8 pool dense16 dense10",
      "sepconv6x5(multiplier=2, padding=same, stride=2, activation=linear) conv4 pool dense10",
    ])
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
        expect(e?.test?.accuracy).toBe(f?.test?.accuracy);
      });

    it("saves a model tfjs-layers loads (its own SeparableConv2D) that gives the run's test accuracy", async () => {
      const run = runOf("conv8 pool sepconv8 pool dense10", 512);
      const outcome = await train(run, "native");
      const weights = outcome.weights.get(1);
      if (!weights) throw new Error("no weights");
      const art = await layersArtifacts(run.model, weights, "test");
      const json = JSON.parse(art.modelJson);
      expect(JSON.stringify(json.modelTopology)).toContain('"class_name":"SeparableConv2D"');
      expect(await savedAccuracy(art, data, 300)).toBe(outcome.epochs[0]?.test?.accuracy);
    });
  },
);
