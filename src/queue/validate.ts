import { z } from "zod";
import { bounds } from "../bounds.js";
import { bytesText, jobMemory } from "../check/cost.js";
import { layerSchema } from "../layers/index.js";
import { isProblem, summarize } from "../layers/summary.js";
import { namedSets } from "../model/datasets.js";
import { backends, type ModelSpec, monitors, optimizers, saveWeightsValues } from "../model/index.js";
import { isPrintable, printable } from "../store/printable.js";
import type { QueuedRun } from "./payload.js";

/**
 * What a worker accepts off the queue. Anyone who can write to the Redis can queue a run, so a
 * payload is checked as strictly as a pipeline: the same bounds as `cnnp check` (src/bounds.ts),
 * a known back end, one of the named data sets (never a folder: a worker reads no path it is sent)
 * with no more images than the set has, a model that builds for that set within the parameter and
 * memory limits, and a run whose jobs, epochs and evaluation points agree. Objects are strict: a
 * field this cnnp does not send is refused, not ignored.
 */

const whole = (b: { min: number; max: number }) => z.number().int().min(b.min).max(b.max);
const id = z.string().regex(/^[0-9a-f]{8,64}$/, "not a cnnp id");
const fraction = z.number().min(0).lt(1);

const layer = layerSchema;

/** The named data sets only: a `folder` data set would have the worker read a path from Redis. */
const namedSet = z.enum(Object.keys(namedSets) as [keyof typeof namedSets, ...(keyof typeof namedSets)[]], {
  message: "not a named data set (a folder of images cannot be trained over the queue)",
});

const data = z.strictObject({
  name: namedSet,
  train: whole({ min: 1, max: bounds.images }),
  test: whole({ min: 1, max: bounds.images }),
});

const model = z.strictObject({
  name: z.string().min(1).max(1000).refine(isPrintable, "has control characters"),
  input: z.tuple([
    whole({ min: 1, max: bounds.imageSide }),
    whole({ min: 1, max: bounds.imageSide }),
    whole({ min: 1, max: 3 }),
  ]),
  classes: whole({ min: 2, max: 10_000 }),
  layers: z.array(layer).min(1).max(1000),
});

const training = z.strictObject({
  epochs: whole(bounds.epochs),
  batchSize: whole(bounds.batch),
  optimizer: z.enum(optimizers),
  learningRate: z.number().min(bounds.learningRate.min).max(bounds.learningRate.max),
  momentum: fraction,
  shuffle: z.boolean(),
  saveWeights: z.enum(saveWeightsValues),
  validationSplit: fraction,
  earlyStopping: z
    .strictObject({
      monitor: z.enum(monitors),
      patience: whole(bounds.patience),
      minDelta: z.number().min(0).max(1e6),
    })
    .nullable(),
  evaluateEvery: whole(bounds.evaluateEvery),
});

/** Every seed of a run, the last repeat's included, is within the bound (as `cnnp check` makes sure). */
const seed = whole(bounds.seed);
const backend = z.enum(backends);

const job = z.strictObject({
  id,
  run: id,
  experiment: whole({ min: 1, max: 1_000_000 }),
  configuration: whole({ min: 0, max: bounds.configurations }),
  repeat: whole({ min: 0, max: bounds.repeat.max }),
  seed,
  model: z.string().regex(/^[0-9a-f]{6,64}$/, "not a cnnp model key"),
  epochs: whole(bounds.epochs),
});

const run = z.strictObject({
  id,
  model,
  modelKey: z.string().regex(/^[0-9a-f]{6,64}$/, "not a cnnp model key"),
  training,
  data,
  backend,
  seed,
  epochs: whole(bounds.epochs),
  evaluateAt: z.array(whole(bounds.epochs)).min(1).max(bounds.epochs.max),
  jobs: z.array(id).min(1).max(bounds.configurations),
});

const queuedRun = z.strictObject({
  protocol: z.number().int(),
  unit: z.strictObject({ run, jobs: z.array(job).min(1).max(bounds.epochs.max) }),
  dataChecksum: z.string().regex(/^[0-9a-f]{16,128}$/, "not a checksum"),
  backend,
});

/** The run's parts agree, fit the named set and stay within the parameter and memory limits. */
function agrees(q: z.infer<typeof queuedRun>, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  const { run: r, jobs } = q.unit;
  const set = namedSets[r.data.name];
  if (r.data.train > set.train)
    issue(["unit", "run", "data", "train"], `more than the ${set.train} training images of ${set.title}`);
  if (r.data.test > set.test)
    issue(["unit", "run", "data", "test"], `more than the ${set.test} test images of ${set.title}`);
  if (r.model.input.join("x") !== set.input.join("x"))
    issue(["unit", "run", "model", "input"], `not the ${set.input.join("x")} images of ${set.title}`);
  if (r.model.classes !== set.classNames.length)
    issue(["unit", "run", "model", "classes"], `not the ${set.classNames.length} classes of ${set.title}`);
  const s = summarize(r.model as ModelSpec);
  if (isProblem(s))
    issue(["unit", "run", "model", "layers", s.layer], `the model cannot be built: ${s.message}`);
  else if (s.totalParams > bounds.parameters)
    issue(
      ["unit", "run", "model"],
      `${s.totalParams} parameters, more than the ${bounds.parameters} allowed`,
    );
  else {
    // The estimate `cnnp check` makes (src/check/cost.ts), for the same job.
    const job = {
      batch: Math.min(r.training.batchSize, r.data.train),
      test: r.data.test,
      loaded: set.train + set.test,
    };
    const bytes = jobMemory(r.model as ModelSpec, s, job);
    if (bytes > bounds.jobMemoryBytes)
      issue(
        ["unit", "run", "training", "batchSize"],
        `training would need about ${bytesText(bytes)}, more than the ${bytesText(bounds.jobMemoryBytes)} one job may use`,
      );
  }
  if (r.training.epochs !== r.epochs) issue(["unit", "run", "epochs"], "differs from the training's epochs");
  const at = r.evaluateAt;
  if (at.some((e, i) => e > r.epochs || (i > 0 && e <= (at[i - 1] as number))))
    issue(["unit", "run", "evaluateAt"], `not ascending within 1..${r.epochs}`);
  const inRun = new Set(r.jobs);
  const seen = new Set<string>();
  for (const [i, j] of jobs.entries()) {
    const where = ["unit", "jobs", i];
    if (seen.has(j.id)) issue(where, "the same job twice");
    seen.add(j.id);
    if (j.run !== r.id || !inRun.has(j.id)) issue(where, "not a job of the run");
    if (j.seed !== r.seed) issue([...where, "seed"], "not the run's seed");
    if (j.model !== r.modelKey) issue([...where, "model"], "not the run's model");
    if (j.epochs > r.epochs) issue([...where, "epochs"], `more than the run's ${r.epochs}`);
    else if (!at.includes(j.epochs)) issue([...where, "epochs"], "not an epoch the run evaluates at");
  }
}

const checked = queuedRun.superRefine(agrees);

/** Whether objects and arrays nest in `value` more than `limit` deep, found without recursion. */
export function deeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== "object" || v === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * The payload as a run this worker may train, or why not: the first problem, by its place in the
 * payload, in words that name no value of it (nothing a writer to the queue sent comes back out).
 */
export function validateQueuedRun(value: unknown): QueuedRun | string {
  // Blocks nest at most bounds.nesting deep (a block and a residual in each level, each an object
  // holding an array): a payload nested far deeper would run the schema's recursion out of stack.
  if (deeperThan(value, 4 * bounds.nesting + 32))
    return "the payload: nested deeper than any model cnnp plans";
  const parsed = checked.safeParse(value);
  if (parsed.success) return parsed.data as QueuedRun;
  const issues = parsed.error.issues;
  const first = issues[0];
  const where = printable(first?.path.join(".") || "the payload", 120);
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  return `${where}: ${printable(first?.message ?? "invalid", 200)}${more}`;
}
