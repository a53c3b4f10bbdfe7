import type { Job, Run, Unit } from "../plan/types.js";
import { printable } from "../store/printable.js";
import { type FailedResult, okResult, type ResultFile, schemaVersion } from "../store/schema.js";
import { type ResultStore, weightsFolder } from "../store/store.js";
import { host } from "../train/environment.js";
import { weightsFile } from "../train/export.js";
import { type JobResult, jobIdentity } from "../train/job-results.js";
import type { SourceInfo } from "./source.js";
import type { DataInfo, Trained } from "./types.js";

export interface ResultContext {
  data: DataInfo;
  source: SourceInfo;
}

function failed(
  job: Job,
  run: Run,
  error: string,
  ctx: ResultContext,
  finishedAt: string,
  unavailable?: true,
): FailedResult {
  return {
    schema: schemaVersion,
    finishedAt,
    data: ctx.data,
    source: ctx.source,
    status: "failed",
    error,
    ...(unavailable ? { unavailable } : {}),
    ...jobIdentity(job, run),
    host: host(),
  };
}

/**
 * The one place a trained unit becomes result files, for local and queued runs alike: one file per
 * job, each checked against the result-file schema. A job the training returned no result for, or
 * whose result fails the schema, gets a failed file that says why; nothing is dropped. The job's
 * identity (experiment, configuration, ...) is this plan's, whoever trained it.
 */
export function resultFiles(unit: Unit, outcome: Trained, ctx: ResultContext): ResultFile[] {
  const finishedAt = new Date().toISOString();
  if (outcome.type === "failed")
    return unit.jobs.map((j) => failed(j, unit.run, outcome.error, ctx, finishedAt, outcome.unavailable));
  const who = outcome.queue ? `the worker ${outcome.queue.worker}` : "the training process";
  const byJob = new Map<string, JobResult[]>();
  for (const r of Array.isArray(outcome.results) ? outcome.results : []) {
    // Whatever a worker sent: only objects that name a job of this unit are looked at.
    if (typeof r !== "object" || r === null || typeof r.job !== "string") continue;
    byJob.set(r.job, [...(byJob.get(r.job) ?? []), r]);
  }
  return unit.jobs.map((job): ResultFile => {
    const all = byJob.get(job.id) ?? [];
    const r = all[0];
    if (!r) return failed(job, unit.run, `${who} returned no result for it`, ctx, finishedAt);
    const invalid = (why: string) =>
      failed(
        job,
        unit.run,
        `${who} returned a result that is not valid (${why}); the job runs again next time`,
        ctx,
        finishedAt,
      );
    if (all.length > 1) return invalid(`${all.length} results for the one job`);
    const claim = claimProblem(r, job, unit.run);
    if (claim) return invalid(claim);
    const { weights, ...result } = r;
    const parsed = okResult.safeParse({
      ...result,
      ...(weights ? { weights: weightsFolder(job.id) } : {}),
      schema: schemaVersion,
      finishedAt,
      data: ctx.data,
      source: ctx.source,
      status: "ok",
      ...jobIdentity(job, unit.run),
      ...(outcome.queue ? { queue: outcome.queue } : {}),
    });
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    return invalid(`${issue?.path.join(".") || "result"}: ${issue?.message ?? "invalid"}`);
  });
}

/**
 * Whether a result is the one its job asked for: the job's run, seed and epochs (the identity the
 * result file is written under is the plan's, so a result for another job must not pass as this
 * one), a confusion matrix of the model's classes, and no more images than the job's data slice.
 * The result-file schema checks the rest (ranges, and the numbers against one another).
 */
function claimProblem(r: JobResult, job: Job, run: Run): string | null {
  const want = jobIdentity(job, run);
  for (const key of ["run", "seed", "epochs", "experiment", "configuration", "repeat"] as const)
    if (r[key] !== want[key])
      return `${key}: ${printable(String(r[key]), 40)}, but the job's is ${want[key]}`;
  const classes = r.test?.confusion?.length;
  if (classes !== undefined && classes !== run.model.classes)
    return `test.confusion: ${classes} classes, but the model has ${run.model.classes}`;
  const samples = r.samples;
  if (samples && typeof samples.test === "number" && samples.test > run.data.test)
    return `samples.test: ${samples.test} test images, but the job tests on at most ${run.data.test}`;
  if (samples && typeof samples.train === "number" && typeof samples.val === "number") {
    const used = samples.train + samples.val;
    if (used > run.data.train)
      return `samples: ${used} training and validation images, but the job has at most ${run.data.train}`;
  }
  return null;
}

/**
 * Writes a unit's files, each job's trained model before its result (which names it). A valid ok
 * result already in the store is kept (a run trained twice, or a result that arrived twice,
 * changes nothing) and returned in place of the new file.
 */
export function writeResults(store: ResultStore, files: ResultFile[], outcome: Trained): ResultFile[] {
  const models = new Map(
    outcome.type === "done"
      ? outcome.results.flatMap((r) => (r.weights ? [[r.job, r.weights] as const] : []))
      : [],
  );
  return files.map((f) => {
    const s = store.read(f.job);
    if (s.kind === "valid" && s.result.status === "ok") return s.result;
    const model = models.get(f.job);
    if (f.status === "ok" && f.weights && model)
      store.writeWeights(f.job, {
        modelJson: model.modelJson,
        weightsFile,
        weights: Buffer.from(model.weights, "base64"),
      });
    store.write(f);
    return f;
  });
}
