import { availableParallelism } from "node:os";
import { namedSets } from "../../check/datasets.js";
import { answerSources } from "../../check/references.js";
import { compile, readSource } from "../../compile.js";
import { DataError, type Dataset, loadDataset } from "../../data/load.js";
import { formatDiagnostics } from "../../diagnostics/format.js";
import { Claims } from "../../execute/claims.js";
import { planOptions, type RunContext, recordContext } from "../../execute/contexts.js";
import { execute } from "../../execute/execute.js";
import { LocalPool } from "../../execute/local.js";
import { type Pending, pendingWork, plannedBatches } from "../../execute/pending.js";
import { sourceInfo } from "../../execute/source.js";
import type { Executor } from "../../execute/types.js";
import type { Backend, CheckedPipeline, DataSpec } from "../../model/index.js";
import { plan } from "../../plan/plan.js";
import type { Plan, Unit } from "../../plan/types.js";
import { describeRedisError } from "../../queue/connect.js";
import { QueueExecutor, Undeliverable } from "../../queue/coordinator.js";
import { parseQueueUrl, type QueueTarget } from "../../queue/url.js";
import { compileWithAnswers } from "../../report/resolve.js";
import { defaultLayout } from "../../runner/threads.js";
import { ResultStore } from "../../store/store.js";
import { WriteError } from "../../util/write-error.js";
import { LiveDisplay, PlainDisplay, Tracker } from "../display.js";
import { wholeNumber } from "../flags.js";
import type { Io } from "../io.js";
import { reachQueue } from "../queue.js";
import { RunSession } from "./run-session.js";
import { JobNames, plural } from "./run-view.js";

export interface RunOptions {
  results?: string;
  backend?: Backend;
  data?: string;
  only?: string;
  json?: boolean;
  workers?: string;
  queue?: string;
  attempts?: string;
  /** With --queue: a file whose first line is the Redis password. */
  redisPasswordFile?: string;
  progress?: string;
  dryRun?: boolean;
}

interface Flags {
  workers: number;
  queue?: { target: QueueTarget; attempts: number };
  progressSeconds: number;
}

function parseFlags(opts: RunOptions): Flags | string {
  const cores = availableParallelism();
  const workers = wholeNumber("--workers", opts.workers ?? String(defaultLayout(cores).workers), 1, 256);
  if (typeof workers === "string") return `${workers}; the default is the number of cores (${cores})`;
  const progressSeconds = wholeNumber("--progress", opts.progress ?? "60", 0, 86_400);
  if (typeof progressSeconds === "string") return progressSeconds;
  if (opts.queue === undefined) return { workers, progressSeconds };
  const target = parseQueueUrl(opts.queue, { passwordFile: opts.redisPasswordFile });
  if (typeof target === "string") return target;
  const attempts = wholeNumber("--attempts", opts.attempts ?? "3", 1, 100);
  if (typeof attempts === "string") return attempts;
  return { workers, progressSeconds, queue: { target, attempts } };
}

async function loadData(spec: DataSpec, opts: RunOptions, io: Io): Promise<Dataset | null> {
  try {
    return await loadDataset(spec, { dir: opts.data, log: (l) => io.err(l) });
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    io.err(`error: ${e.message}`);
    return null;
  }
}

/** What `cnnp run` works on once the pipeline, the data and the results folder are read. */
interface Prepared {
  p: Plan;
  store: ResultStore;
  data: Dataset;
  context: Omit<RunContext, "usedAt">;
  work: Pending;
  total: number;
  /** The experiments run for `--only`: it and those whose answers it uses (all when undefined). */
  selection: Set<number> | undefined;
  /** A later pass, after answers came in: the jobs done before were printed by the first. */
  again: boolean;
}

/** Compiles, loads the data, plans and finds the pending work; prints what it found. */
async function prepare(file: string, opts: RunOptions, io: Io, again = false): Promise<Prepared | number> {
  const source = await readSource(file);
  const c = compile(source, file);
  if (c.diagnostics.length > 0 && !again)
    io.err(formatDiagnostics(c.diagnostics, file, c.source, { color: io.color }));
  if (!c.pipeline) return 1;
  const only = c.pipeline.experiments.find((e) => e.title === opts.only);
  if (opts.only !== undefined && !only) {
    const titles = c.pipeline.experiments.map((e) => `"${e.title}"`).join(", ");
    return usage(io, `no experiment titled "${opts.only}" in ${file}; titles: ${titles}`);
  }
  const spec = c.pipeline.experiments[0]?.configurations[0]?.data ?? {
    name: "fashion_mnist",
    train: 0,
    test: 0,
  };
  const data = await loadData(spec, opts, io);
  if (!data) return 2;
  const short = tooFewImages(c.pipeline, data);
  if (short) {
    io.err(`error: ${file}: ${short}`);
    return 2;
  }
  // Job ids cover the data actually read and the back end asked for; the folder records both.
  const context = {
    backend: opts.backend ?? null,
    data: { dir: data.dir, checksum: data.checksum, official: data.official },
  };
  const store = new ResultStore(opts.results ?? "results");
  // With the answers the finished results give to the experiments that use others' answers.
  const resolved = compileWithAnswers(source, file, (pipeline) => ({
    plan: plan(pipeline, planOptions(context)),
    lookup: (id) => store.read(id),
  }));
  if (!resolved.planned) {
    io.err(formatDiagnostics(resolved.compiled.diagnostics, file, source, { color: io.color }));
    return 1;
  }
  const p = resolved.planned.plan;
  const selection = only ? withDependencies(only.title, c.pipeline) : undefined;
  const work = pendingWork(p, (id) => store.read(id), selection);
  const total = work.selected.length + work.extra.length;
  const runs = new Set([...work.selected, ...work.extra].map((j) => j.run)).size;
  const official = data.official ? "" : " (not the official files)";
  io.err(
    `${file}: ${plural(total, "job")} in ${plural(runs, "training run")}; data: ${dataTitle(spec)} from ${data.dir}${official}`,
  );
  const swept = store.sweep();
  if (swept > 0)
    io.err(`removed ${swept} half-written result file${swept === 1 ? "" : "s"} left by an interrupted run`);
  for (const s of work.stored.values())
    if (s.kind === "invalid") io.err(`${s.path}: not a valid result (${s.why}); running the job again`);
  return { p, store, data, context, work, total, selection, again };
}

/**
 * Whether the data read hold fewer images than the pipeline asks for (a run would train on fewer
 * than its report says), or none: the counts, and what to do.
 */
export function tooFewImages(pipeline: CheckedPipeline, data: Dataset): string | undefined {
  const n = (x: number) => x.toLocaleString("en-US");
  if (data.trainCount === 0 || data.testCount === 0)
    return `${data.dir} holds ${n(data.trainCount)} training and ${n(data.testCount)} test images: a run needs at least one of each; check the files or give another folder with --data`;
  const specs = pipeline.experiments.flatMap((e) => e.configurations.map((c) => c.data));
  const train = Math.max(0, ...specs.map((d) => d.train));
  const test = Math.max(0, ...specs.map((d) => d.test));
  if (train <= data.trainCount && test <= data.testCount) return undefined;
  const asked = [
    train > data.trainCount ? `${n(train)} training images` : "",
    test > data.testCount ? `${n(test)} test images` : "",
  ].filter(Boolean);
  return `the pipeline asks for ${asked.join(" and ")}, but ${data.dir} holds ${n(data.trainCount)} training and ${n(data.testCount)} test images: lower train and test in the data statement to at most those, or give the full data set with --data DIR`;
}

/** How messages name a data set: `Fashion-MNIST`, `CIFAR-10`, `the image folder images/`. */
export function dataTitle(d: Pick<DataSpec, "name" | "folder">): string {
  return d.name === "folder" ? `the image folder ${d.folder?.path}` : namedSets[d.name].title;
}

/** An experiment's number and those of the experiments whose answers it uses, all the way down. */
function withDependencies(title: string, pipeline: CheckedPipeline): Set<number> {
  const titles = new Set([title, ...answerSources(pipeline.dependencies, title)]);
  return new Set(pipeline.experiments.filter((e) => titles.has(e.title)).map((e) => e.number));
}

function executorOf(flags: Flags, x: Prepared, backend: Backend | undefined): Executor {
  if (flags.queue)
    return new QueueExecutor({
      target: flags.queue.target,
      dataChecksum: x.data.checksum,
      backend,
      attempts: flags.queue.attempts,
    });
  return new LocalPool({
    workers: flags.workers,
    store: x.store,
    claims: new Claims(x.store.dir),
    data: { dir: x.data.dir, checksum: x.data.checksum },
    backend,
  });
}

/**
 * Runs `fn` with Ctrl-C and SIGTERM turned into an abort; says which signal came. A second signal
 * stops the process at once (the training processes end with it; queued runs stay queued). After
 * an abort, whatever a client of Redis left running (a reconnect timer, with Redis gone) cannot
 * keep the process alive: it ends half a second after the command returns.
 */
async function interruptible<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  io: Io,
): Promise<{ value: T; signal?: NodeJS.Signals }> {
  const abort = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    if (signalled) {
      io.err(`${s} again: stopping now`);
      process.exit(s === "SIGTERM" ? 143 : 130);
    }
    signalled = s;
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const value = await fn(abort.signal);
    return signalled ? { value, signal: signalled } : { value };
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    if (signalled) setTimeout(() => process.exit(), 500).unref();
  }
}

/** Trains the pending units; null when Redis went away for good (after saying so). */
async function train(
  x: Prepared,
  o: { file: string; flags: Flags; backend: Backend | undefined; session: RunSession; signal: AbortSignal },
  io: Io,
): Promise<{ interrupted: boolean } | null> {
  try {
    return await execute(x.work.units, {
      store: x.store,
      executor: executorOf(o.flags, x, o.backend),
      data: x.context.data,
      source: sourceInfo(o.file),
      signal: o.signal,
      onEvent: (e) => o.session.on(e),
    });
  } catch (e) {
    // Redis went away for good mid-run: what was collected is written; say so and how to go on.
    const queue = o.flags.queue;
    if (!queue || e instanceof Undeliverable || e instanceof WriteError) throw e;
    io.err(
      `error: ${describeRedisError(queue.target, e)}. ${o.session.done} of ${x.total} jobs done; run the same command again to go on; results in ${x.store.jobsDir}`,
    );
    return null;
  }
}

/**
 * `cnnp run FILE`: finds the jobs of the plan (or of `--only`'s experiment) without a valid result,
 * has the local pool or the queue train them, and prints each as its result file is written.
 */
export async function runCommand(file: string, opts: RunOptions, io: Io): Promise<number> {
  const flags = parseFlags(opts);
  if (typeof flags === "string") return usage(io, flags);
  let x = await prepare(file, opts, io);
  // Experiments that use others' answers wait for them: train what can be trained, then plan again
  // with the answers its results give, until nothing new can be trained. A job that failed in this
  // command is not tried again by its later passes (the next `cnnp run` tries it again), and a
  // failure does not hold up the jobs that other answers unlock.
  const tried = new Set<string>();
  let failed = false;
  for (;;) {
    if (typeof x === "number") return x;
    const pass = await trainPass(x, file, flags, opts, io);
    for (const u of x.work.units) for (const j of u.jobs) tried.add(j.id);
    failed ||= pass.failed;
    const waiting = waitingOn(x);
    if (pass.code !== 0) return pass.code;
    if (opts.dryRun || waiting.length === 0) return failed ? 1 : 0;
    const next = await prepare(file, opts, io, true);
    if (typeof next === "number") return next;
    const untriedOf = (units: Unit[]) =>
      units
        .map((u) => ({ ...u, jobs: u.jobs.filter((j) => !tried.has(j.id)) }))
        .filter((u) => u.jobs.length > 0);
    const untried = untriedOf(next.work.units);
    if (untried.length === 0) {
      // The answers did not come (their jobs failed, say): the runs kept back for the jobs that
      // wait for them are trained now, for the jobs they have.
      const late = untriedOf(next.work.deferred);
      if (late.length > 0) {
        io.err(
          `still waiting for answers: ${waiting.join("; ")}; training the ${plural(late.length, "run")} kept back for the jobs that wait, without them`,
        );
        x = { ...next, work: { ...next.work, units: late, deferred: [] } };
        continue;
      }
      io.err(`still waiting for answers: ${waiting.join("; ")}`);
      return failed ? 1 : 0;
    }
    const found = next.p.experiments
      .filter((e) => waiting.some((w) => w.startsWith(`"${e.title}"`)))
      .flatMap((e) => e.configurations.flatMap((c) => c.uses.filter((u) => u.from.resolved)))
      .map((u) => `${u.name} ${u.value} from "${u.from.experiment}" (${u.from.detail})`);
    io.err(`answers now known: ${[...new Set(found)].join("; ")}; training what waited for them`);
    x = { ...next, work: { ...next.work, units: untried } };
  }
}

/** The experiments of the selection that still wait for answers, and for which. */
function waitingOn(x: Prepared): string[] {
  return x.p.experiments
    .filter((e) => e.waiting.configurations > 0 && (!x.selection || x.selection.has(e.number)))
    .map((e) => {
      const on = new Set(
        e.configurations.flatMap((c) =>
          c.uses.filter((u) => !u.from.resolved).map((u) => `"${u.from.experiment}"`),
        ),
      );
      return `"${e.title}" waits for ${[...on].join(" and ")}`;
    });
}

/** One pass: trains the pending work the plan has now, and prints each job as it finishes. */
async function trainPass(
  x: Prepared,
  file: string,
  flags: Flags,
  opts: RunOptions,
  io: Io,
): Promise<{ code: number; failed: boolean }> {
  const { work, store, total } = x;
  const workers = Math.min(flags.workers, Math.max(1, work.units.length));
  if (opts.dryRun) return { code: dryRun(x, workers, new Claims(store.dir), io), failed: false };
  if (flags.queue && work.units.length > 0 && !(await reachQueue(flags.queue.target, io)))
    return { code: 2, failed: false };

  const planned = work.units.map((u) => ({ key: u.run.id, steps: plannedBatches(u, x.data.trainCount) }));
  const tracker = new Tracker(total, planned, 0, flags.queue ? 1 : workers);
  const live = Boolean(process.stderr.isTTY) && !opts.json && work.units.length > 0;
  const display = live ? new LiveDisplay(io, tracker) : new PlainDisplay(io, tracker, flags.progressSeconds);
  const session = new RunSession(x.p, display, { json: Boolean(opts.json), trainCount: x.data.trainCount });
  session.report(work.done, "done before: ", null, x.again);
  const where = flags.queue
    ? `on the queue at ${flags.queue.target.shown} for cnnp workers (cnnp worker --queue URL)`
    : `on ${plural(workers, "worker process")}`;
  const left = work.units.reduce((n, u) => n + u.jobs.length, 0);
  const steps = planned.reduce((n, u) => n + u.steps, 0);
  if (work.units.length > 0)
    display.note(
      `training ${plural(left, "job")} in ${plural(work.units.length, "run")} (${plural(steps, "step")}) ${where}${opts.json ? "" : "; results are printed as jobs finish"}${work.deferred.length > 0 ? `; ${plural(work.deferred.length, "run")} kept back until the answers that jobs sharing them wait for are known` : ""}`,
    );
  // Only a pass that trains writes to the results folder: one with nothing to train works on a
  // read-only folder.
  if (work.units.length > 0) recordContext(store, x.context);
  const run =
    work.units.length === 0
      ? { value: { interrupted: false } }
      : await interruptible(
          (signal) => train(x, { file, flags, backend: opts.backend, session, signal }, io),
          io,
        );
  display.stop();
  if (run.value === null) return { code: 1, failed: false };
  if (run.value.interrupted) {
    const next = flags.queue
      ? "the queued runs stay on the queue and the workers go on with them. Run the same command again to collect their results"
      : "the jobs in flight are lost. Run the same command again to go on";
    io.err(
      `interrupted (${run.signal ?? "signal"}): ${session.done} of ${total} jobs done, ${session.failed} failed; ${next}; results in ${store.jobsDir}`,
    );
    return { code: run.signal === "SIGTERM" ? 143 : 130, failed: false };
  }
  const failed = session.failed > 0 ? `, ${session.failed} failed` : "";
  io.err(
    `${session.done - session.failed} of ${plural(total, "job")} done (${work.done.length} from earlier runs)${failed}; results in ${store.jobsDir}`,
  );
  return { code: 0, failed: session.failed > 0 };
}

function usage(io: Io, why: string): number {
  io.err(`error: ${why}`);
  return 2;
}

/** `--dry-run`: what would be trained, and what is done or held by another cnnp run. */
function dryRun(x: Prepared, workers: number, claims: Claims, io: Io): number {
  const { work } = x;
  const names = new JobNames(x.p);
  let jobs = 0;
  let epochs = 0;
  let held = 0;
  let steps = 0;
  for (const u of work.units) {
    steps += plannedBatches(u, x.data.trainCount);
    const holder = claims.holder(u.run.id);
    if (holder) held++;
    jobs += u.jobs.length;
    epochs += u.run.epochs;
    const who = holder ? ` · being trained by another cnnp run (pid ${holder.pid} on ${holder.host})` : "";
    io.out(
      `run ${u.run.id.slice(0, 12)} · ${u.run.model.name} · seed ${u.run.seed} · ${plural(u.run.epochs, "epoch")}${who}`,
    );
    for (const j of u.jobs) io.out(`  ${names.of(j)} · ${plural(j.epochs, "epoch")}`);
  }
  for (const u of work.deferred)
    io.out(
      `run ${u.run.id.slice(0, 12)} · ${u.run.model.name} · seed ${u.run.seed} · kept back: jobs that wait for an answer will share it, so it is trained once the answer is known`,
    );
  io.err(
    `dry run: would train ${plural(jobs, "job")} in ${plural(work.units.length, "run")} (${plural(epochs, "epoch")}, ${plural(steps, "step")}) on ${plural(workers, "worker process")}; ${work.done.length} of ${plural(x.total, "job")} done before${held > 0 ? `; ${held} held by another cnnp run` : ""}${
      work.deferred.length > 0
        ? `; then, once the answers are known, ${plural(work.deferred.length, "run")} kept back (${plural(
            work.deferred.reduce((n, u) => n + u.jobs.length, 0),
            "job",
          )} now, and those that wait)`
        : ""
    }`,
  );
  return 0;
}
