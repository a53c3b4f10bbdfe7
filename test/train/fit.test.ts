import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { type Dataset, loadFashionMnist } from "../../src/data/idx-sets.js";
import { plan } from "../../src/plan/plan.js";
import type { Run } from "../../src/plan/types.js";
import { selectBackend } from "../../src/train/backends/index.js";
import { fitRun } from "../../src/train/fit.js";
import { tf } from "../../src/train/tf.js";

/** Small slices of the real Fashion-MNIST, trained for real on the wasm back end. */
let data: Dataset;
beforeAll(async () => {
  data = await loadFashionMnist();
  await selectBackend("wasm");
});

function runOf(settings: string, model = "conv8 pool flatten dense32 dense10"): Run {
  const c = compile(
    `data fashion_mnist train 320 test 200\n${settings}\nmodel m = ${model}\nexperiment "x" {}\n`,
    "t.cnnp",
  );
  if (!c.pipeline) throw new Error(c.diagnostics.map((d) => d.message).join("; "));
  const run = plan(c.pipeline).runs[0];
  if (!run) throw new Error("no run");
  return run;
}

const request = (run: Run, seed = run.seed) => ({
  model: run.model,
  training: run.training,
  data: run.data,
  seed,
  epochs: run.epochs,
  evaluateAt: run.evaluateAt,
});

const train = (run: Run, seed = run.seed) => fitRun(request(run, seed), data);

const metrics = (o: Awaited<ReturnType<typeof train>>) =>
  o.epochs.map((e) => [e.loss, e.accuracy, e.test?.loss ?? null, e.test?.accuracy ?? null]);

describe("fit", { timeout: 60_000 }, () => {
  it("gives identical metrics for the same seed, and different ones for another seed", async () => {
    const run = runOf("epochs 2");
    const a = await train(run, 5);
    const b = await train(run, 5);
    const c = await train(run, 6);
    expect(metrics(a)).toEqual(metrics(b));
    expect(metrics(c)).not.toEqual(metrics(a));
    expect(a.epochs).toHaveLength(2);
    expect(a.trainSamples).toBe(320);
    expect(a.testSamples).toBe(200);
  });

  it("learns: the main model's training loss falls and test accuracy beats chance", async () => {
    const run = runOf("epochs 3\nlearning_rate 0.05", "conv32 pool conv32 pool dense128 dense10");
    const o = await train(run);
    const losses = o.epochs.map((e) => e.loss);
    expect(losses[2]).toBeLessThan(losses[0] as number);
    expect(o.epochs[2]?.test?.accuracy).toBeGreaterThan(0.3);
  });

  it("evaluates the test set only at the epochs asked for, and at the last", async () => {
    const run = runOf("epochs 3");
    const o = await fitRun({ ...run, epochs: 3, evaluateAt: [1] }, data);
    expect(o.epochs.map((e) => e.test !== null)).toEqual([true, false, true]);
    for (const e of o.epochs) expect(e.seconds).toBeGreaterThan(0);
  });

  it("holds out the last fraction of the training slice for validation, as Keras does", async () => {
    const run = runOf("epochs 1\nvalidation_split 0.25");
    const o = await train(run);
    expect([o.trainSamples, o.valSamples]).toEqual([240, 80]);
    // Other real images in items 240..319 (the last quarter of the 320 used): the training is the
    // same to the last bit, the validation is not. Were the first quarter held out, training would
    // change and validation would not.
    const other: Dataset = {
      ...data,
      trainImages: data.trainImages.slice(),
      trainLabels: data.trainLabels.slice(),
    };
    const pixels = data.height * data.width;
    other.trainImages.copyWithin(240 * pixels, 1000 * pixels, 1080 * pixels);
    other.trainLabels.copyWithin(240, 1000, 1080);
    const o2 = await fitRun({ ...request(run), seed: run.seed }, other);
    expect([o2.epochs[0]?.loss, o2.epochs[0]?.accuracy]).toEqual([o.epochs[0]?.loss, o.epochs[0]?.accuracy]);
    expect(o2.epochs[0]?.test).toEqual({ ...o.epochs[0]?.test, seconds: o2.epochs[0]?.test?.seconds });
    expect(o2.epochs[0]?.val?.loss).not.toBe(o.epochs[0]?.val?.loss);
  });

  it("stops early when the monitored loss stops improving, and records the epoch", async () => {
    // A learning rate this small cannot lower the loss by 1.0 in an epoch: patience 2 stops at 3.
    const run = runOf("epochs 10\nlearning_rate 0.0001\nearly_stopping monitor loss patience 2 min_delta 1");
    const o = await train(run);
    expect(o.stoppedEpoch).toBe(3);
    expect(o.epochs).toHaveLength(3);
    expect(o.epochs[2]?.test).not.toBeNull();
  });

  it("returns every tensor it made: no growth from run to run", async () => {
    const run = runOf("epochs 2\nvalidation_split 0.2");
    await train(run);
    const before = tf.memory().numTensors;
    await train(run);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("turning shuffling off changes the batches but not the starting weights", async () => {
    const start = async (run: Run, seed = run.seed) => {
      let weights: Float32Array[] = [];
      const o = await fitRun(request(run, seed), data, {
        onStart: (net) => {
          weights = net.variables.map((v) => v.dataSync() as Float32Array).map((w) => w.slice());
        },
      });
      return { weights, o };
    };
    const on = await start(runOf("epochs 1"));
    const off = await start(runOf("epochs 1\nshuffle off"));
    expect(on.weights.length).toBe(6);
    expect(off.weights).toEqual(on.weights);
    expect(metrics(on.o)).not.toEqual(metrics(off.o));
    // The comparison can fail: another seed starts elsewhere.
    expect((await start(runOf("epochs 1"), 99)).weights).not.toEqual(on.weights);
  });
});
