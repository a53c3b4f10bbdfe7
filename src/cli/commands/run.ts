import { SingleBar } from "cli-progress";
import type { Backend } from "../../check/types.js";
import { compileFile } from "../../compile.js";
import { type Dataset, loadFashionMnist } from "../../data/fashion-mnist.js";
import { DataError } from "../../data/idx.js";
import { formatDiagnostics } from "../../diagnostics/format.js";
import { plan } from "../../plan/plan.js";
import type { Job, Plan, Run } from "../../plan/types.js";
import { type FailedResult, type OkResult, schemaVersion } from "../../store/schema.js";
import { ResultStore } from "../../store/store.js";
import { BackendUnavailable, selectBackend } from "../../train/backends/select.js";
import { host } from "../../train/environment.js";
import { fitRun } from "../../train/fit.js";
import { type JobResult, jobIdentity, jobResult } from "../../train/job-results.js";
import type { Io } from "../io.js";

export interface RunOptions {
  results?: string;
  backend?: Backend;
  data?: string;
  only?: string;
  json?: boolean;
}

const f4 = (x: number) => x.toFixed(4);

/** `auto`'s skipped back ends are told once per process. */
let notified = false;

/** A job as its first experiment names it, and the other experiments that have the same job. */
function describe(p: Plan, job: Job, owners: Map<string, number[]>): string {
  const e = p.experiments.find((x) => x.number === job.experiment);
  const c = e?.configurations[job.configuration];
  const reps = e?.repeat ?? 1;
  const others = (owners.get(job.id) ?? [])
    .filter((n) => n !== job.experiment)
    .map((n) => p.experiments.find((x) => x.number === n)?.title ?? "?");
  const also = others.length > 0 ? ` (the same job serves ${others.join(", ")})` : "";
  return `${e?.title ?? "?"} · ${c?.label ?? "?"}${reps > 1 ? ` · repeat ${job.repeat + 1}/${reps}` : ""}${also}`;
}

function line(
  r: Pick<JobResult, "test" | "train" | "val" | "epochsTrained" | "stoppedEpoch" | "time" | "backend">,
): string {
  const ms = r.time.perSample * 1000;
  return [
    `test loss ${f4(r.test.loss)} acc ${f4(r.test.accuracy)}`,
    `train loss ${f4(r.train.loss)} acc ${f4(r.train.accuracy)}`,
    r.val ? `val loss ${f4(r.val.loss)} acc ${f4(r.val.accuracy)}` : "",
    `${r.epochsTrained} epoch${r.epochsTrained === 1 ? "" : "s"}${r.stoppedEpoch ? " (early stop)" : ""}`,
    `train ${r.time.train.toFixed(1)} s (${ms.toFixed(3)} ms/sample), test ${r.test.seconds.toFixed(2)} s`,
    r.backend.name,
  ]
    .filter(Boolean)
    .join(" · ");
}

/**
 * `cnnp run FILE`: trains every run of the plan on the real data and prints each job's loss,
 * accuracy and time. A run that fails is reported and the others go on.
 */
export async function runCommand(file: string, opts: RunOptions, io: Io): Promise<number> {
  const c = await compileFile(file);
  if (c.diagnostics.length > 0) io.err(formatDiagnostics(c.diagnostics, file, c.source, { color: io.color }));
  if (!c.pipeline) return 1;
  const titles = c.pipeline.experiments.map((e) => e.title);
  if (opts.only !== undefined && !titles.includes(opts.only)) {
    io.err(
      `error: no experiment titled "${opts.only}" in ${file}; titles: ${titles.map((t) => `"${t}"`).join(", ")}`,
    );
    return 2;
  }
  let data: Dataset;
  try {
    data = await loadFashionMnist({ dir: opts.data, log: (l) => io.err(l) });
  } catch (e) {
    if (e instanceof DataError) {
      io.err(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  // Job ids cover the data actually read and the back end asked for, so results of other data or
  // another back end are never taken for these.
  const p = plan(c.pipeline, { dataChecksum: data.checksum, backend: opts.backend });
  const experiments = p.experiments.filter((e) => opts.only === undefined || e.title === opts.only);
  const wanted = new Set(experiments.flatMap((e) => e.jobs.map((j) => j.id)));
  const runs = p.runs.filter((r) => r.jobs.some((j) => wanted.has(j)));
  const jobsById = new Map<string, Job>();
  const owners = new Map<string, number[]>();
  for (const e of experiments) {
    for (const j of e.jobs) {
      if (!jobsById.has(j.id)) jobsById.set(j.id, j);
      const list = owners.get(j.id) ?? [];
      if (!list.includes(e.number)) list.push(e.number);
      owners.set(j.id, list);
    }
  }
  const total = runs.reduce((n, r) => n + r.jobs.filter((j) => wanted.has(j)).length, 0);
  io.err(
    `${file}: ${total} job${total === 1 ? "" : "s"} in ${runs.length} training run${runs.length === 1 ? "" : "s"}; data: Fashion-MNIST from ${data.dir}${data.official ? "" : " (not the official files)"}`,
  );
  const store = new ResultStore(opts.results ?? "results");
  const swept = store.sweep();
  if (swept > 0)
    io.err(`removed ${swept} half-written result file${swept === 1 ? "" : "s"} left by an interrupted run`);
  const dataInfo = { dir: data.dir, checksum: data.checksum, official: data.official };
  let done = 0;
  let failed = 0;
  let kept = 0;
  const tty = Boolean(process.stderr.isTTY) && !opts.json;
  for (const run of runs) {
    const jobs = run.jobs.filter((j) => wanted.has(j)).map((j) => jobsById.get(j) as Job);
    const pending: Job[] = [];
    for (const job of jobs) {
      const stored = store.read(job.id);
      if (stored.kind === "valid" && stored.result.status === "ok") {
        done++;
        kept++;
        if (opts.json) io.out(JSON.stringify(stored.result));
        else io.out(`[${done}/${total}] ${describe(p, job, owners)}: done before: ${line(stored.result)}`);
        continue;
      }
      if (stored.kind === "invalid")
        io.err(`${stored.path}: not a valid result (${stored.why}); running the job again`);
      pending.push(job);
    }
    if (pending.length === 0) continue;
    try {
      const results = await train(run, pending, data, opts, tty, io);
      for (const [job, r] of results) {
        done++;
        const file: OkResult = {
          schema: schemaVersion,
          status: "ok",
          finishedAt: new Date().toISOString(),
          data: dataInfo,
          ...r,
        };
        store.write(file);
        if (opts.json) io.out(JSON.stringify(file));
        else io.out(`[${done}/${total}] ${describe(p, job, owners)}: ${line(r)}`);
      }
    } catch (e) {
      const why = e instanceof BackendUnavailable || e instanceof Error ? e.message : String(e);
      for (const job of pending) {
        done++;
        failed++;
        const file: FailedResult = {
          schema: schemaVersion,
          status: "failed",
          error: why,
          finishedAt: new Date().toISOString(),
          data: dataInfo,
          ...jobIdentity(job, run),
          host: host(),
        };
        store.write(file);
        io.out(`[${done}/${total}] ${describe(p, job, owners)}: FAILED: ${why}`);
      }
    }
  }
  const summary = `${total - failed} of ${total} job${total === 1 ? "" : "s"} done (${kept} from earlier runs)${failed > 0 ? `, ${failed} failed` : ""}; results in ${store.jobsDir}`;
  io.err(summary);
  return failed > 0 ? 1 : 0;
}

async function train(
  run: Run,
  jobs: Job[],
  data: Dataset,
  opts: RunOptions,
  tty: boolean,
  io: Io,
): Promise<[Job, JobResult][]> {
  const want = opts.backend ?? run.backend;
  const selected = await selectBackend(want);
  if (want === "auto" && selected.skipped.length > 0 && !notified) {
    notified = true;
    io.err(
      `back end: ${selected.info.name} (auto skipped ${selected.skipped.map((s) => `${s.name}: ${s.why}`).join("; ")})`,
    );
  }
  const bar = tty
    ? new SingleBar({
        format: `training ${run.model.name} · epoch {epoch}/{epochs} [{bar}] batch {value}/{total} · {duration_formatted}`,
        stream: process.stderr,
        clearOnComplete: true,
        hideCursor: true,
      })
    : undefined;
  let started = false;
  try {
    const outcome = fitRun(
      {
        model: run.model,
        training: run.training,
        data: run.data,
        seed: run.seed,
        epochs: run.epochs,
        evaluateAt: run.evaluateAt,
      },
      data,
      {
        onBatch: (p) => {
          if (!bar) return;
          if (!started) {
            bar.start(p.batches, 0, { epoch: p.epoch, epochs: p.epochs });
            started = true;
          }
          if (p.batch === 1 || p.batch === p.batches || p.batch % 8 === 0)
            bar.update(p.batch, { epoch: p.epoch, epochs: p.epochs });
        },
      },
    );
    return jobs.map((j) => [j, jobResult(j, run, outcome, selected.info, host())]);
  } finally {
    bar?.stop();
  }
}
