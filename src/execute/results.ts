import type { Job, Run, Unit } from "../plan/types.js";
import { type FailedResult, okResult, type ResultFile, schemaVersion } from "../store/schema.js";
import { type ResultStore, weightsFolder } from "../store/store.js";
import { host } from "../train/environment.js";
import { weightsFile } from "../train/export.js";
import { jobIdentity } from "../train/job-results.js";
import type { SourceInfo } from "./source.js";
import type { DataInfo, Trained } from "./types.js";

export interface ResultContext {
  data: DataInfo;
  source: SourceInfo;
}

function failed(job: Job, run: Run, error: string, ctx: ResultContext, finishedAt: string): FailedResult {
  return {
    schema: schemaVersion,
    finishedAt,
    data: ctx.data,
    source: ctx.source,
    status: "failed",
    error,
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
    return unit.jobs.map((j) => failed(j, unit.run, outcome.error, ctx, finishedAt));
  const who = outcome.queue ? `the worker ${outcome.queue.worker}` : "the training process";
  const byJob = new Map(outcome.results.map((r) => [r.job, r]));
  return unit.jobs.map((job): ResultFile => {
    const r = byJob.get(job.id);
    if (!r) return failed(job, unit.run, `${who} returned no result for it`, ctx, finishedAt);
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
    const where = issue?.path.join(".") || "result";
    return failed(
      job,
      unit.run,
      `${who} returned a result that is not valid (${where}: ${issue?.message ?? "invalid"}); the job runs again next time`,
      ctx,
      finishedAt,
    );
  });
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
