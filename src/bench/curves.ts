import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compile } from "../compile.js";
import { loadFashionMnist } from "../data/idx-sets.js";
import type { ModelSpec } from "../model/index.js";
import { plan } from "../plan/plan.js";
import { selectBackend } from "../train/backends/index.js";
import { fitRun } from "../train/fit.js";
import type { TrainOutcome } from "../train/types.js";

const studyFile = fileURLToPath(new URL("../../pipelines/fashion-mnist-study.cnnp", import.meta.url));

/** Each epoch's training and test loss. */
const losses = (o: TrainOutcome) => o.epochs.flatMap((e) => [e.loss, e.test?.loss ?? Number.NaN]);
/** Each epoch's training and test accuracy, as counts of images. */
const hits = (o: TrainOutcome) =>
  o.epochs.flatMap((e) => [e.accuracy * o.trainSamples, (e.test?.accuracy ?? Number.NaN) * o.testSamples]);
const largest = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number))));

/**
 * Every model of the study on 2,000 images for 2 epochs (test: 1,000 images after each), trained
 * by the native whole step in slices (one per thread, the default), by the whole step in one
 * slice, and kernel by kernel: the largest difference between the sliced step's learning curve and
 * the kernel path's, and whether the one-slice step's weights equal the kernel path's to the bit.
 */
export async function benchCurves(): Promise<void> {
  const c = compile(readFileSync(studyFile, "utf8"), "fashion-mnist-study.cnnp");
  if (!c.pipeline) throw new Error("internal: the study pipeline does not compile");
  const models = new Map<string, ModelSpec>();
  for (const r of plan(c.pipeline).runs) models.set(r.modelKey, r.model);
  const small = compile(
    'data fashion_mnist train 2000 test 1000\nepochs 2\nevaluate_every 1\nmodel m = dense10\nexperiment "x" {}\n',
    "curves.cnnp",
  );
  const run = small.pipeline ? plan(small.pipeline).runs[0] : undefined;
  if (!run) throw new Error("internal: the curves pipeline did not plan");
  const data = await loadFashionMnist({ download: false });
  await selectBackend("native");
  console.log(
    `\ncurves: ${models.size} study models, 2,000 images, 2 epochs: whole step (in slices, and in one) against kernel by kernel`,
  );
  let worst = 0;
  let worstImages = 0;
  let allEqual = true;
  for (const model of models.values()) {
    const train = async (step: "on" | "off", slices?: number) => {
      process.env.CNNP_NATIVE_STEP = step;
      if (slices !== undefined) process.env.CNNP_NATIVE_SLICES = String(slices);
      const o = await fitRun({ ...run, model, saveAt: [2] }, data);
      delete process.env.CNNP_NATIVE_STEP;
      delete process.env.CNNP_NATIVE_SLICES;
      return o;
    };
    const sliced = await train("on");
    const a = await train("on", 1);
    const b = await train("off");
    const diff = largest(losses(sliced), losses(b));
    const images = Math.round(largest(hits(sliced), hits(b)));
    const wa = a.weights.get(2) ?? [];
    const wb = b.weights.get(2) ?? [];
    const equal =
      wa.length === wb.length &&
      wa.every((w, i) => Buffer.from(w.buffer).equals(Buffer.from((wb[i] as Float32Array).buffer)));
    worst = Math.max(worst, diff);
    worstImages = Math.max(worstImages, images);
    allEqual &&= equal;
    console.log(
      `  ${model.name.padEnd(34)} ${sliced.steps.slices} slices: losses within ${diff.toExponential(2)}, hits within ${images} image${images === 1 ? "" : "s"}; one slice: weights ${equal ? "equal to the bit" : "DIFFER"}; steps ${sliced.steps.seconds.toFixed(1)} s, ${a.steps.seconds.toFixed(1)} s and ${b.steps.seconds.toFixed(1)} s kernel by kernel`,
    );
  }
  console.log(
    `  all models: the sliced step's losses within ${worst.toExponential(2)} of the kernel path's, its hits within ${worstImages} images (of 2,000 train, 1,000 test); one slice's weights equal to the bit: ${allEqual ? "yes" : "NO"}`,
  );
}
