import { availableParallelism } from "node:os";
import type { Backend } from "../../check/types.js";
import { compileFile } from "../../compile.js";
import { type Dataset, loadFashionMnist } from "../../data/fashion-mnist.js";
import { DataError } from "../../data/idx.js";
import { formatDiagnostics } from "../../diagnostics/format.js";
import { plan } from "../../plan/plan.js";
import type { Job, Plan } from "../../plan/types.js";
import { describeRedisError } from "../../queue/connect.js";
import { coordinate } from "../../queue/coordinator.js";
import { parseQueueUrl, type QueueTarget } from "../../queue/url.js";
import { Claims } from "../../runner/claims.js";
import { type Display, LiveDisplay, PlainDisplay } from "../../runner/progress.js";
import type { Unit } from "../../runner/protocol.js";
import { runUnits } from "../../runner/runner.js";
import { sourceInfo } from "../../runner/source.js";
import { plannedBatches } from "../../runner/units.js";
import type { ResultFile } from "../../store/schema.js";
import { ResultStore } from "../../store/store.js";
import { wholeNumber } from "../flags.js";
import type { Io } from "../io.js";
import { reachQueue } from "../queue.js";

export interface RunOptions {
  results?: string;
  backend?: Backend;
  data?: string;
  only?: string;
  json?: boolean;
  workers?: string;
  queue?: string;
  attempts?: string;
  dryRun?: boolean;
}

const f4 = (x: number) => x.toFixed(4);
const plural = (n: number, word: string) =>
  `${n.toLocaleString("en")} ${word}${n === 1 ? "" : word.endsWith("s") ? "es" : "s"}`;

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

/** One finished job in one line: its metrics, epochs, time and back end, or its error. */
function line(r: ResultFile): string {
  if (r.status === "failed") return `FAILED: ${r.error}`;
  const ms = r.time.perSample * 1000;
  return [
    `test loss ${f4(r.test.loss)} acc ${f4(r.test.accuracy)}`,
    `train loss ${f4(r.train.loss)} acc ${f4(r.train.accuracy)}`,
    r.val ? `val loss ${f4(r.val.loss)} acc ${f4(r.val.accuracy)}` : "",
    `${plural(r.epochsTrained, "epoch")}${r.stoppedEpoch ? " (early stop)" : ""}`,
    `train ${r.time.train.toFixed(1)} s (${ms.toFixed(3)} ms/sample), test ${r.test.seconds.toFixed(2)} s`,
    r.backend.name,
  ]
    .filter(Boolean)
    .join(" · ");
}

function parseWorkers(value: string | undefined): number | string {
  if (value === undefined) return availableParallelism();
  const n = wholeNumber("--workers", value, 1, 256);
  return typeof n === "string" ? `${n}; the default is the number of cores (${availableParallelism()})` : n;
}

/**
 * `cnnp run FILE`: trains the jobs of the plan whose results are missing, on worker processes,
 * and writes one result file per job. A run that fails is recorded and the others go on.
 */
export async function runCommand(file: string, opts: RunOptions, io: Io): Promise<number> {
  const workers = parseWorkers(opts.workers);
  if (typeof workers === "string") {
    io.err(`error: ${workers}`);
    return 2;
  }
  let queue: QueueTarget | undefined;
  let attempts = 3;
  if (opts.queue !== undefined) {
    const target = parseQueueUrl(opts.queue);
    const tries = wholeNumber("--attempts", opts.attempts ?? "3", 1, 100);
    if (typeof target === "string" || typeof tries === "string") {
      io.err(`error: ${typeof target === "string" ? target : tries}`);
      return 2;
    }
    queue = target;
    attempts = tries;
  }
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
  const runs = p.runs.filter((r) => r.jobs.some((j) => wanted.has(j)));
  const total = wanted.size;
  io.err(
    `${file}: ${plural(total, "job")} in ${plural(runs.length, "training run")}; data: Fashion-MNIST from ${data.dir}${data.official ? "" : " (not the official files)"}`,
  );
  const store = new ResultStore(opts.results ?? "results");
  const swept = store.sweep();
  if (swept > 0)
    io.err(`removed ${swept} half-written result file${swept === 1 ? "" : "s"} left by an interrupted run`);

  // What is done already, and what is left, run by run.
  let done = 0;
  let failed = 0;
  let kept = 0;
  const units: Unit[] = [];
  const counter = () => `[${done}/${total}]`;
  const report = (files: ResultFile[], how = "", worker: string | null = null) => {
    for (const f of files) {
      done++;
      if (f.status === "failed") failed++;
      const job = jobsById.get(f.job);
      const on = worker && f.status === "ok" ? ` · on ${worker}` : "";
      if (opts.json) display.job(JSON.stringify(f));
      else display.job(`${counter()} ${job ? describe(p, job, owners) : f.job}: ${how}${line(f)}${on}`);
    }
  };
  let display: Display = new PlainDisplay(io);
  for (const run of runs) {
    const pending: Job[] = [];
    for (const id of run.jobs.filter((j) => wanted.has(j))) {
      const job = jobsById.get(id) as Job;
      const stored = store.read(job.id);
      if (stored.kind === "valid" && stored.result.status === "ok") {
        kept++;
        if (!opts.dryRun) report([stored.result], "done before: ");
        continue;
      }
      if (stored.kind === "invalid")
        io.err(`${stored.path}: not a valid result (${stored.why}); running the job again`);
      pending.push(job);
    }
    if (pending.length > 0) units.push({ run, jobs: pending });
  }
  const batchesOf = (u: Unit) => plannedBatches(u.run, data.trainCount);
  if (queue && !opts.dryRun && units.length > 0 && !(await reachQueue(queue, io))) return 2;
  const planned = units.reduce((n, u) => n + batchesOf(u), 0);

  if (opts.dryRun)
    return dryRun(units, { p, owners, kept, total, workers, planned }, new Claims(store.dir), io);
  const summary = () =>
    `${total - failed} of ${plural(total, "job")} done (${kept} from earlier runs)${failed > 0 ? `, ${failed} failed` : ""}; results in ${store.jobsDir}`;
  if (units.length === 0) {
    io.err(summary());
    return 0;
  }
  const jobsLeft = units.reduce((n, u) => n + u.jobs.length, 0);
  const where = queue
    ? `on the queue at ${queue.shown} for cnnp workers (cnnp worker --queue URL)`
    : `on ${plural(Math.min(workers, units.length), "worker process")}`;
  io.err(
    `training ${plural(jobsLeft, "job")} in ${plural(units.length, "run")} (${plural(planned, "step")}) ${where}${opts.json ? "" : "; results are printed as jobs finish"}`,
  );
  const live = Boolean(process.stderr.isTTY) && !opts.json;
  if (live) display = new LiveDisplay(io, total, planned, done);

  const label = (u: Unit) => {
    const first = u.jobs[0] as Job;
    return `${describe(p, first, new Map())}${u.jobs.length > 1 ? ` (${u.jobs.length} jobs)` : ""}`;
  };
  const notices = new Set<string>();
  const notice = (t: string) => {
    if (notices.has(t)) return;
    notices.add(t);
    display.note(t);
  };
  const abort = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    signalled = s;
    abort.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const common = {
    store,
    data: { dir: data.dir, checksum: data.checksum, official: data.official },
    backend: opts.backend,
    source: sourceInfo(file),
    signal: abort.signal,
  };
  let outcome: { interrupted: boolean };
  try {
    outcome = queue
      ? await coordinate(
          units,
          { ...common, target: queue, attempts },
          {
            notice,
            started: (id, worker, u) => display.started(id, `${worker} · ${label(u)}`, batchesOf(u)),
            progress: (id, _u, pr) => display.progress(id, pr),
            requeued: (id) => display.dropped(id),
            finished: (id, _u, files, how) => {
              display.ended(id, files.length);
              report(files, how.away ? "collected from the queue: " : "", how.worker);
            },
            workers: (names) => display.workers(names),
          },
        )
      : await runUnits(
          units,
          { ...common, workers, claims: new Claims(store.dir) },
          {
            notice,
            started: (w, u) => display.started(`${w}`, `worker ${w} · ${label(u)}`, batchesOf(u)),
            progress: (w, _u, pr) => display.progress(`${w}`, pr),
            finished: (w, _u, files) => {
              display.ended(`${w}`, files.length);
              report(files);
            },
            elsewhere: (u, files) => {
              display.elsewhere(files.length, files.length === u.jobs.length ? batchesOf(u) : 0);
              report(files, "done by another cnnp run: ");
            },
            waiting: (held) => {
              const h = held[0]?.holder;
              display.note(
                `waiting for ${plural(held.length, "training run")} that another cnnp run is training${h && h.pid > 0 ? ` (pid ${h.pid} on ${h.host}, since ${h.since})` : ""}`,
              );
            },
          },
        );
  } catch (e) {
    // Redis went away for good mid-run: what was collected is written; say so and how to go on.
    if (!queue) throw e;
    display.stop();
    io.err(
      `error: ${describeRedisError(queue, e)}. ${done} of ${total} jobs done; run the same command again to go on; results in ${store.jobsDir}`,
    );
    return 1;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    display.stop();
  }
  if (outcome.interrupted) {
    const next = queue
      ? "the queued runs stay on the queue and the workers go on with them. Run the same command again to collect their results"
      : "the jobs in flight are lost. Run the same command again to go on";
    io.err(
      `interrupted (${signalled ?? "signal"}): ${done} of ${total} jobs done, ${failed} failed; ${next}; results in ${store.jobsDir}`,
    );
    return signalled === "SIGTERM" ? 143 : 130;
  }
  io.err(summary());
  return failed > 0 ? 1 : 0;
}

/** `--dry-run`: what would be trained, and what is done or held by another cnnp run. */
function dryRun(
  units: Unit[],
  ctx: {
    p: Plan;
    owners: Map<string, number[]>;
    kept: number;
    total: number;
    workers: number;
    planned: number;
  },
  claims: Claims,
  io: Io,
): number {
  let jobs = 0;
  let epochs = 0;
  let held = 0;
  for (const u of units) {
    const holder = claims.holder(u.run.id);
    if (holder) held++;
    jobs += u.jobs.length;
    epochs += u.run.epochs;
    const who = holder ? ` · being trained by another cnnp run (pid ${holder.pid} on ${holder.host})` : "";
    io.out(
      `run ${u.run.id.slice(0, 12)} · ${u.run.model.name} · seed ${u.run.seed} · ${plural(u.run.epochs, "epoch")}${who}`,
    );
    for (const j of u.jobs) io.out(`  ${describe(ctx.p, j, ctx.owners)} · ${plural(j.epochs, "epoch")}`);
  }
  io.err(
    `dry run: would train ${plural(jobs, "job")} in ${plural(units.length, "run")} (${plural(epochs, "epoch")}, ${plural(ctx.planned, "step")}) on ${plural(Math.min(ctx.workers, Math.max(1, units.length)), "worker process")}; ${ctx.kept} of ${plural(ctx.total, "job")} done before${held > 0 ? `; ${held} held by another cnnp run` : ""}`,
  );
  return 0;
}
