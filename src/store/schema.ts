import { z } from "zod";
import { bounds } from "../bounds.js";
import { backendNames } from "../model/index.js";

/**
 * The result file of one job: the single definition shared by the runner, the reports and the
 * site. A file that does not pass it is reported and the job runs again; it is never trusted.
 */
export const schemaVersion = 1;

/**
 * The numbers a result can hold. Zod's numbers are finite (no NaN, no Infinity); on top of that an
 * accuracy is a fraction, a loss (cross-entropy) and a time are never negative.
 */
const accuracy = z.number().min(0).max(1);
/** Classes of a data set: a folder's subfolders, a named set's ten. */
const maxClasses = 10_000;
const loss = z.number().nonnegative();
const seconds = z.number().nonnegative();
const count = z.number().int().nonnegative().max(bounds.images);
const epochs = z.number().int().min(bounds.epochs.min).max(bounds.epochs.max);

const evaluation = z.object({ loss, accuracy, seconds });

const epochRecord = z.object({
  epoch: epochs,
  loss,
  accuracy,
  val: evaluation.nullable(),
  test: evaluation.nullable(),
  seconds,
});

const backendInfo = z.object({
  name: z.enum(backendNames),
  tfjsBackend: z.string(),
  versions: z.record(z.string(), z.string()),
  detail: z.string(),
});

const host = z.object({
  hostname: z.string(),
  cpu: z.string(),
  cores: z.number().int().positive(),
  memoryGiB: z.number(),
  os: z.string(),
  node: z.string(),
  cnnp: z.string(),
  gpus: z.array(z.string()),
});

const common = {
  schema: z.literal(schemaVersion),
  job: z.string().regex(/^[0-9a-f]{8,64}$/),
  run: z.string(),
  experiment: z.number().int().positive(),
  configuration: z.number().int().nonnegative(),
  repeat: z.number().int().nonnegative(),
  seed: z.number().int().nonnegative(),
  epochs,
  finishedAt: z.string(),
  /** The data the job saw: where from and the checksum of the four files. */
  data: z.object({ dir: z.string(), checksum: z.string(), official: z.boolean() }),
  /** The pipeline file the job came from, and its git commit when it is in a repository. */
  source: z.object({
    file: z.string(),
    git: z.object({ commit: z.string(), dirty: z.boolean() }).nullable(),
  }),
};

const okFields = z.object({
  ...common,
  status: z.literal("ok"),
  epochsTrained: epochs,
  stoppedEpoch: epochs.nullable(),
  history: z.array(epochRecord).min(1).max(bounds.epochs.max),
  /** The test set at the job's epoch count; result files written before cnnp kept class detail lack it. */
  test: evaluation.extend({
    /** `confusion[t][p]`: test images of true class t predicted as class p. */
    confusion: z.array(z.array(count).max(maxClasses)).max(maxClasses).optional(),
    /** Accuracy on each class's test images, by label. */
    perClass: z.array(accuracy).max(maxClasses).optional(),
  }),
  train: z.object({ loss, accuracy }),
  val: evaluation.nullable(),
  time: z.object({ train: seconds, perEpoch: seconds, perSample: seconds }),
  samples: z.object({ train: count, val: count, test: count }),
  backend: backendInfo,
  host,
  /**
   * The folder, relative to the results folder, of the job's trained model in TensorFlow.js'
   * layers format (`model.json` and its weights), when the pipeline keeps weights.
   */
  weights: z.string().optional(),
  /** Set when a `cnnp worker` trained the job off a queue (`cnnp run --queue`). */
  queue: z
    .object({
      /** The worker's name: host name and process id. */
      worker: z.string(),
      /** Tries it took (a try lost with a killed worker does not count). */
      attempts: z.number().int().nonnegative(),
    })
    .optional(),
});

/** How far a fraction computed twice may differ (the two are the same division in practice). */
const tolerance = 1e-9;

type Problem = { path: (string | number)[]; message: string } | null;
type OkFields = z.infer<typeof okFields>;

/** The epochs trained within the job's, and the history in order up to them. */
function epochProblem(r: OkFields): Problem {
  if (r.epochsTrained > r.epochs)
    return {
      path: ["epochsTrained"],
      message: `${r.epochsTrained} epochs trained, more than the job's ${r.epochs}`,
    };
  if (r.stoppedEpoch !== null && r.stoppedEpoch > r.epochsTrained)
    return {
      path: ["stoppedEpoch"],
      message: `stopped at epoch ${r.stoppedEpoch}, after the ${r.epochsTrained} trained`,
    };
  let previous = 0;
  for (const [i, h] of r.history.entries()) {
    if (h.epoch <= previous || h.epoch > r.epochsTrained)
      return {
        path: ["history", i, "epoch"],
        message: `epoch ${h.epoch} out of order or outside 1..${r.epochsTrained} (the epochs trained)`,
      };
    previous = h.epoch;
  }
  if (previous !== r.epochsTrained)
    return { path: ["history"], message: `ends at epoch ${previous}, not at the ${r.epochsTrained} trained` };
  const last = r.history[r.history.length - 1];
  if (last?.test && (last.test.accuracy !== r.test.accuracy || last.test.loss !== r.test.loss))
    return { path: ["test"], message: "differs from the test evaluation of the last epoch in history" };
  return null;
}

/**
 * The test set's confusion matrix: classes x classes, counting the images tested, and giving the
 * test accuracy and each class's.
 */
function confusionProblem(r: OkFields): Problem {
  const { confusion, perClass } = r.test;
  if ((confusion === undefined) !== (perClass === undefined))
    return { path: ["test"], message: "has one of confusion and perClass without the other" };
  if (!confusion || !perClass) return null;
  const classes = confusion.length;
  if (classes < 2)
    return { path: ["test", "confusion"], message: `${classes} classes: a classifier has at least 2` };
  for (const [t, row] of confusion.entries())
    if (row.length !== classes)
      return {
        path: ["test", "confusion", t],
        message: `row of ${row.length}, not ${classes} (one per class)`,
      };
  if (perClass.length !== classes)
    return { path: ["test", "perClass"], message: `${perClass.length} values for ${classes} classes` };
  const total = confusion.reduce((n, row) => n + row.reduce((a, b) => a + b, 0), 0);
  if (total !== r.samples.test)
    return {
      path: ["test", "confusion"],
      message: `counts ${total} test images, not the ${r.samples.test} tested`,
    };
  const right = confusion.reduce((n, row, t) => n + (row[t] ?? 0), 0);
  if (Math.abs(right / total - r.test.accuracy) > tolerance)
    return {
      path: ["test", "accuracy"],
      message: `${r.test.accuracy}, but the confusion matrix gives ${right / total}`,
    };
  for (const [t, row] of confusion.entries()) {
    const n = row.reduce((a, b) => a + b, 0);
    const own = n > 0 ? (row[t] ?? 0) / n : 0;
    if (Math.abs(own - (perClass[t] ?? 0)) > tolerance)
      return {
        path: ["test", "perClass", t],
        message: `${perClass[t]}, but the confusion matrix gives ${own}`,
      };
  }
  return null;
}

/**
 * What the numbers of one result must agree on, beyond each one's range: see epochProblem and
 * confusionProblem; and an ok result trained and tested on at least one image.
 */
function consistent(r: OkFields, ctx: z.RefinementCtx): void {
  const problems: Problem[] = [
    epochProblem(r),
    r.samples.train < 1 ? { path: ["samples", "train"], message: "no training images" } : null,
    r.samples.test < 1 ? { path: ["samples", "test"], message: "no test images" } : null,
    r.samples.test >= 1 ? confusionProblem(r) : null,
  ];
  for (const p of problems) if (p) ctx.addIssue({ code: "custom", ...p });
}

export const okResult = okFields.superRefine(consistent);

export const failedResult = z.object({
  ...common,
  status: z.literal("failed"),
  error: z.string(),
  /**
   * The job's back end did not load on this host (an optional package not installed, no GPU):
   * not a failure of training. Reports show it as not available here; `cnnp run` tries it again.
   */
  unavailable: z.literal(true).optional(),
  host,
});

export const resultFile = z.discriminatedUnion("status", [okResult, failedResult]);
export type ResultFile = z.infer<typeof resultFile>;
export type OkResult = z.infer<typeof okResult>;
export type FailedResult = z.infer<typeof failedResult>;
