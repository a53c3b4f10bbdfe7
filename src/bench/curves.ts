import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ModelSpec } from "../check/types.js";
import { compile } from "../compile.js";
import { loadFashionMnist } from "../data/idx-sets.js";
import { plan } from "../plan/plan.js";
import { selectBackend } from "../train/backends/select.js";
import { fitRun } from "../train/fit.js";
import type { TrainOutcome } from "../train/types.js";

const studyFile = fileURLToPath(new URL("../../pipelines/fashion-mnist-study.cnnp", import.meta.url));

/** Each epoch's training and test loss and accuracy. */
const curve = (o: TrainOutcome) =>
  o.epochs.flatMap((e) => [e.loss, e.accuracy, e.test?.loss ?? Number.NaN, e.test?.accuracy ?? Number.NaN]);

/**
 * Every model of the study on 2,000 images for 2 epochs (test: 1,000 images after each), trained
 * by the native whole step and kernel by kernel: the largest difference between the two learning
 * curves, and whether the trained weights are equal to the bit.
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
    `\ncurves: ${models.size} study models, 2,000 images, 2 epochs: whole step against kernel by kernel`,
  );
  let worst = 0;
  let allEqual = true;
  for (const model of models.values()) {
    const train = (step: "on" | "off") => {
      process.env.CNNP_NATIVE_STEP = step;
      const o = fitRun({ ...run, model, saveAt: [2] }, data);
      delete process.env.CNNP_NATIVE_STEP;
      return o;
    };
    const a = train("on");
    const b = train("off");
    const ca = curve(a);
    const cb = curve(b);
    const diff = Math.max(...ca.map((v, i) => Math.abs(v - (cb[i] as number))));
    const wa = a.weights.get(2) ?? [];
    const wb = b.weights.get(2) ?? [];
    const equal =
      wa.length === wb.length &&
      wa.every((w, i) => Buffer.from(w.buffer).equals(Buffer.from((wb[i] as Float32Array).buffer)));
    worst = Math.max(worst, diff);
    allEqual &&= equal;
    console.log(
      `  ${model.name.padEnd(34)} largest difference ${diff.toExponential(2)}; weights ${equal ? "equal to the bit" : "DIFFER"}; ${a.steps.seconds.toFixed(1)} s against ${b.steps.seconds.toFixed(1)} s of steps`,
    );
  }
  console.log(
    `  all models: largest difference ${worst.toExponential(2)}; weights equal to the bit: ${allEqual ? "yes" : "NO"}`,
  );
}
