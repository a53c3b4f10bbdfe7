/**
 * One measurement for `npm run bench study` and `cliff`, in a process of its own so that its
 * OpenMP settings are its own: trains a model on `train` images for one epoch (after a short
 * warm-up) on the native back end, evaluates `test` images, and prints seconds per image as JSON.
 */

import { compile } from "../compile.js";
import { loadFashionMnist } from "../data/idx-sets.js";
import type { ModelSpec } from "../model/index.js";
import { plan } from "../plan/plan.js";
import { selectBackend } from "../train/backends/index.js";
import { fitRun } from "../train/fit.js";

export interface EpochRequest {
  model: ModelSpec;
  /** The batch size (32 when not given). */
  batch?: number;
  train: number;
  test: number;
}

const req = JSON.parse(process.argv[2] ?? "{}") as EpochRequest;
const c = compile(
  `data fashion_mnist train ${req.train} test ${req.test}\nbatch ${req.batch ?? 32}\nsave_weights off\nmodel m = dense10\nexperiment "x" {}\n`,
  "bench.cnnp",
);
const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
if (!run) throw new Error("internal: the measurement pipeline did not plan");
const data = await loadFashionMnist({ download: false });
await selectBackend("native");
const warm = { ...run, model: req.model, epochs: 1, evaluateAt: [1] };
await fitRun({ ...warm, data: { ...run.data, train: 96, test: 100 } }, data);
const o = await fitRun(warm, data);
const e = o.epochs[0];
if (!e?.test) throw new Error("internal: no epoch measured");
console.log(
  JSON.stringify({
    train: e.seconds / o.trainSamples,
    test: e.test.seconds / o.testSamples,
    engine: o.steps.engine,
    phases: o.steps.phases,
    stepSeconds: o.steps.seconds,
  }),
);
