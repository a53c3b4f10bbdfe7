import { z } from "zod";

/**
 * The result file of one job: the single definition shared by the runner, the reports and the
 * site. A file that does not pass it is reported and the job runs again; it is never trusted.
 */
export const schemaVersion = 1;

const evaluation = z.object({ loss: z.number(), accuracy: z.number(), seconds: z.number().nonnegative() });

const epochRecord = z.object({
  epoch: z.number().int().positive(),
  loss: z.number(),
  accuracy: z.number(),
  val: evaluation.nullable(),
  test: evaluation.nullable(),
  seconds: z.number().nonnegative(),
});

const backendInfo = z.object({
  name: z.enum(["wasm", "cpu", "native", "tensorflow", "tensorflow-gpu"]),
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
  seed: z.number().int(),
  epochs: z.number().int().positive(),
  finishedAt: z.string(),
  /** The data the job saw: where from and the checksum of the four files. */
  data: z.object({ dir: z.string(), checksum: z.string(), official: z.boolean() }),
  /** The pipeline file the job came from, and its git commit when it is in a repository. */
  source: z.object({
    file: z.string(),
    git: z.object({ commit: z.string(), dirty: z.boolean() }).nullable(),
  }),
};

export const okResult = z.object({
  ...common,
  status: z.literal("ok"),
  epochsTrained: z.number().int().positive(),
  stoppedEpoch: z.number().int().positive().nullable(),
  history: z.array(epochRecord).min(1),
  /** The test set at the job's epoch count; result files written before cnnp kept class detail lack it. */
  test: evaluation.extend({
    /** `confusion[t][p]`: test images of true class t predicted as class p. */
    confusion: z.array(z.array(z.number().int().nonnegative())).optional(),
    /** Accuracy on each class's test images, by label. */
    perClass: z.array(z.number().min(0).max(1)).optional(),
  }),
  train: z.object({ loss: z.number(), accuracy: z.number() }),
  val: evaluation.nullable(),
  time: z.object({
    train: z.number().nonnegative(),
    perEpoch: z.number().nonnegative(),
    perSample: z.number().nonnegative(),
  }),
  samples: z.object({
    train: z.number().int().nonnegative(),
    val: z.number().int().nonnegative(),
    test: z.number().int().nonnegative(),
  }),
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

export const failedResult = z.object({
  ...common,
  status: z.literal("failed"),
  error: z.string(),
  host,
});

export const resultFile = z.discriminatedUnion("status", [okResult, failedResult]);
export type ResultFile = z.infer<typeof resultFile>;
export type OkResult = z.infer<typeof okResult>;
export type FailedResult = z.infer<typeof failedResult>;
