import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { type Dataset, loadFashionMnist } from "../../src/data/idx-sets.js";
import { plan } from "../../src/plan/plan.js";
import { selectBackend } from "../../src/train/backends/index.js";
import { layersArtifacts } from "../../src/train/export.js";
import { fitRun } from "../../src/train/fit.js";
import { runOf } from "../helpers/runs.js";
import { loadSaved, savedAccuracy } from "../helpers/saved-model.js";

/**
 * residual(...) blocks: Keras' parameter counts (worked out by hand with Keras' rules, as for
 * batchnorm), their shape errors, training on the cpu back end and the native kernels alike, and
 * the saved functional model (Add layers) tfjs-layers loads.
 */

const a = "residual(conv16(same, linear) batchnorm relu conv16(same, linear) batchnorm) relu";
const b = "residual(conv32(same, linear, stride=2) batchnorm relu conv32(same, linear) batchnorm) relu";

function planned(model: string) {
  const c = compile(`model m = ${model}\n`, "r.cnnp");
  return { diagnostics: c.diagnostics, model: c.pipeline ? plan(c.pipeline).models[0] : undefined };
}

describe("residual blocks in a model", () => {
  it("give conv16(same, linear) batchnorm relu a b globalpool dense10 Keras' 20,010 parameters, 544 of them the shortcut", () => {
    const { diagnostics, model } = planned(
      `conv16(same, linear) batchnorm relu ${a} ${b} globalpool dense10`,
    );
    expect(diagnostics).toEqual([]);
    // conv 3*3*1*16+16 = 160, batchnorm 4*16 = 64; block a: 2 x (3*3*16*16+16 = 2,320) + 2 x 64;
    // block b: 3*3*16*32+32 = 4,640, 3*3*32*32+32 = 9,248, 2 x 128, shortcut 16*32+32 = 544;
    // dense 32*10+10 = 330.
    expect(model?.totalParams).toBe(160 + 64 + 2 * 2_320 + 2 * 64 + 4_640 + 9_248 + 2 * 128 + 544 + 330);
    expect(model?.totalParams).toBe(20_010);
    const rows = model?.layers.map((l) => [l.type, l.params, l.depth ?? 0]);
    expect(rows).toContainEqual(["Conv2D (shortcut)", 544, 1]);
    expect(rows?.filter((r) => r[0] === "Residual")).toEqual([
      ["Residual", 4_768, 0],
      ["Residual", 14_688, 0],
    ]);
  });

  it("count a block without batchnorm or projection by Keras' rules", () => {
    const { model } = planned("conv8(same) residual(conv8(same) conv8(same, linear)) relu pool dense10");
    // 3*3*1*8+8 = 80; two 3*3*8*8+8 = 584; dense 14*14*8*10+10 = 15,690.
    expect(model?.totalParams).toBe(80 + 2 * 584 + 15_690);
  });

  it("is an error at the block when no 1x1 shortcut matches what its layers give", () => {
    const { diagnostics } = planned("conv8(same) residual(conv8 conv8) pool dense10");
    expect(diagnostics.map((d) => [d.code, d.span.column])).toEqual([["E111", 23]]);
    expect(diagnostics[0]?.message).toContain("(28, 28, 8) into (24, 24, 8)");
  });
});

describe.skipIf(Boolean(process.env.CNNP_SKIP_NATIVE))(
  "residual blocks trained",
  { timeout: 300_000 },
  () => {
    let data: Dataset;
    beforeAll(async () => {
      data = await loadFashionMnist({ download: false });
    });

    const small =
      "conv4(same, linear) relu residual(conv4(same) conv8(same, linear, stride=2)) relu pool dense10";

    it("trains one epoch to the same weights on the native kernels as on the cpu back end, within 1e-4", async () => {
      const run = runOf(small);
      await selectBackend("native");
      const req = { ...run, epochs: 1, evaluateAt: [1], saveAt: [1] };
      const native = await fitRun(req, data);
      await selectBackend("cpu");
      const cpu = await fitRun(req, data);
      const x = native.weights.get(1) ?? [];
      expect(x.length).toBe(10);
      const y = cpu.weights.get(1) ?? [];
      expect(x.map((w) => w.length)).toEqual(y.map((w) => w.length));
      let largest = 0;
      let moved = 0;
      x.forEach((w, j) => {
        w.forEach((v, k) => {
          largest = Math.max(largest, Math.abs(v - (y[j]?.[k] ?? Number.NaN)));
          moved = Math.max(moved, Math.abs(v));
        });
      });
      expect(largest).toBeLessThan(1e-4);
      expect(moved).toBeGreaterThan(1e-3);
      expect(native.epochs[0]?.test?.accuracy).toBe(cpu.epochs[0]?.test?.accuracy);
    });

    it("saves a functional model with Add layers that tfjs-layers loads and that gives the run's test accuracy", async () => {
      // Small, for the kernel path's batchnorm: moving statistics and a projection shortcut to save.
      const model = `conv2(same, linear) batchnorm relu ${a.replaceAll("16", "2")} ${b.replaceAll("32", "4")} globalpool dense10`;
      const run = runOf(model, 64);
      await selectBackend("native");
      const outcome = await fitRun({ ...run, epochs: 1, evaluateAt: [1], saveAt: [1] }, data);
      const weights = outcome.weights.get(1);
      if (!weights) throw new Error("no weights");
      const art = await layersArtifacts(run.model, weights, "test");
      const topology = JSON.stringify(JSON.parse(art.modelJson).modelTopology);
      expect(topology).toContain('"class_name":"Add"');
      expect(topology).toContain('"class_name":"Model"');
      const loaded = await loadSaved(art);
      expect(loaded.countParams()).toBe(planned(model).model?.totalParams);
      loaded.dispose();
      expect(await savedAccuracy(art, data, 300)).toBe(outcome.epochs[0]?.test?.accuracy);
    });
  },
);
