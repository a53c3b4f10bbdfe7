import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { type Dataset, loadFashionMnist } from "../../src/data/idx-sets.js";
import { plan } from "../../src/plan/plan.js";
import type { Run } from "../../src/plan/types.js";
import { selectBackend } from "../../src/train/backends/index.js";
import { fitRun } from "../../src/train/fit.js";

/**
 * The WebGPU step (SwiftShader) on every other layer and optimizer it has: batchnorm, avgpool,
 * globalpool, sepconv, augment, residual blocks and activations on their own against the native back end's whole step, Adam and RMSprop against
 * TensorFlow.js' optimizers (native trains those kernel by kernel); the same starting weights,
 * batches and augment draws, one epoch, weights within 1e-4.
 */
let data: Dataset;
beforeAll(async () => {
  data = await loadFashionMnist({ download: false });
});

function runOf(model: string, settings = "momentum 0.9"): Run {
  const c = compile(
    `data fashion_mnist train 96 test 100\nepochs 1\nbatch 16\n${settings}\nmodel m = ${model}\n`,
    "x.cnnp",
  );
  expect(c.diagnostics).toEqual([]);
  const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
  if (!run) throw new Error("no run");
  return run;
}

async function train(run: Run, backend: "native" | "webgpu") {
  await selectBackend(backend);
  return await fitRun({ ...run, evaluateAt: [1], saveAt: [1] }, data);
}

const cases: [string, string][] = [
  ["conv8 batchnorm pool conv8(padding=same) batchnorm avgpool dense16 batchnorm dense10", "momentum 0.9"],
  [
    "augment(shift=3, flip=on) conv8 avgpool3(stride=2) conv8(activation=linear) batchnorm globalpool dense10",
    "momentum 0.9",
  ],
  ["conv8 pool sepconv8 pool dense16 dense10", "momentum 0.9"],
  ["sepconv6x5(multiplier=2, padding=same, stride=2, activation=linear) conv4 pool dense10", "momentum 0.9"],
  // Residual blocks (an identity and a stride-2 projection shortcut) and activations on their own.
  [
    "conv4(same, linear) batchnorm tanh residual(conv4(same, linear) sigmoid conv8(same, linear, stride=2)) relu residual(conv8(same) conv8(same, linear)) relu pool dense10",
    "momentum 0.9",
  ],
  ["conv8 pool dense16 dense10", "optimizer adam\nlearning_rate 0.003"],
  ["conv8 pool dense16 dense10", "optimizer rmsprop\nlearning_rate 0.003"],
];

describe("the webgpu back end's other layers and optimizers", { timeout: 600_000 }, () => {
  for (const [model, settings] of cases)
    it(`trains ${model} (${settings.replace("\n", ", ")}) as native does: weights, losses within 1e-4, the same test accuracy`, async () => {
      const run = runOf(model, settings);
      const gpu = await train(run, "webgpu");
      const native = await train(run, "native");
      expect(gpu.steps.engine).toBe("webgpu step");
      const a = gpu.weights.get(1) ?? [];
      const b = native.weights.get(1) ?? [];
      expect(a.map((w) => w.length)).toEqual(b.map((w) => w.length));
      let largest = 0;
      for (const [j, w] of a.entries())
        for (const [k, v] of w.entries())
          largest = Math.max(largest, Math.abs(v - (b[j]?.[k] ?? Number.NaN)));
      expect(largest).toBeLessThanOrEqual(1e-4);
      const la = gpu.epochs[0]?.test?.loss ?? Number.NaN;
      const lb = native.epochs[0]?.test?.loss ?? Number.NaN;
      expect(Math.abs(la - lb)).toBeLessThanOrEqual(1e-4);
      expect(gpu.epochs[0]?.test?.accuracy).toBe(native.epochs[0]?.test?.accuracy);
      // The epoch's training loss, summed on the GPU and read back once.
      expect(Math.abs((gpu.epochs[0]?.loss ?? 0) - (native.epochs[0]?.loss ?? 1))).toBeLessThanOrEqual(1e-4);
    });
});
