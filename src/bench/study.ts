import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "../compile.js";
import { plan } from "../plan/plan.js";
import type { Plan, Run } from "../plan/types.js";
import { defaultLayout, trainingEnv } from "../runner/threads.js";
import { ResultStore } from "../store/store.js";
import type { EpochRequest } from "./epoch-child.js";

const child = fileURLToPath(new URL("./epoch-child.js", import.meta.url));
export const studyFile = fileURLToPath(new URL("../../pipelines/fashion-mnist-study.cnnp", import.meta.url));
const studyResults = fileURLToPath(new URL("../../studies/fashion-mnist/results", import.meta.url));

/**
 * The epochs each early-stopping run of the plan trained in the committed study results (the most
 * its jobs record), where there is one: what a fresh study would train, as the seeds are the same.
 */
function stoppedEpochs(p: Plan): Map<string, number> {
  if (!existsSync(studyResults)) return new Map();
  const store = new ResultStore(studyResults);
  const out = new Map<string, number>();
  for (const run of p.runs) {
    if (!run.training.earlyStopping) continue;
    for (const id of run.jobs) {
      const s = store.read(id);
      if (s.kind === "valid" && s.result.status === "ok")
        out.set(run.id, Math.max(out.get(run.id) ?? 0, s.result.epochsTrained));
    }
  }
  return out;
}

/** Seconds per training image and per evaluated image, as epoch-child.ts measures them. */
export interface Rate {
  train: number;
  test: number;
  engine: string;
  phases: Record<string, number> | null;
  stepSeconds: number;
}

/** Runs epoch-child.ts with `threads` OpenMP threads; `env` adds to trainingEnv's. */
export function measure(req: EpochRequest, threads: number, env: NodeJS.ProcessEnv = {}): Promise<Rate> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, JSON.stringify(req)], {
      env: { ...trainingEnv(process.env, threads), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d;
    });
    p.stderr.on("data", (d: Buffer) => {
      err += d;
    });
    p.on("close", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      if (code === 0 && last) resolve(JSON.parse(last) as Rate);
      else reject(new Error(`the measurement process exited with ${code}: ${err.trim().split("\n").pop()}`));
    });
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Seconds a run takes at a rate: its epochs of training images and its evaluations. */
function runSeconds(run: Run, rate: Rate): number {
  const train = Math.floor(run.data.train * (1 - run.training.validationSplit));
  const held = run.data.train - train;
  const every = run.training.evaluateEvery;
  const tests = every > 0 ? Math.ceil(run.epochs / every) : run.evaluateAt.length || 1;
  const vals = held > 0 ? run.epochs : 0;
  return run.epochs * train * rate.train + (tests * run.data.test + vals * held) * rate.test;
}

/** The wall time of `workers` processes each taking the next run in plan order when free. */
function makespan(seconds: number[], workers: number): number {
  const free = new Array<number>(workers).fill(0);
  for (const s of seconds) {
    const i = free.indexOf(Math.min(...free));
    free[i] = (free[i] as number) + s;
  }
  return Math.max(...free);
}

/** `4h05m`: minutes rounded first, so that 4 h 59.6 m is 5h00m, not 4h60m. */
export function hms(s: number): string {
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** What a run is timed as: its model at its batch size (the step's speed per image depends on both). */
const keyOf = (r: Run) => `${r.modelKey} batch ${r.training.batchSize}`;
/** How the section names a timed model: by name, and its batch size where it is not Keras' 32. */
const nameOf = (r: Run) =>
  `${r.model.name}${r.training.batchSize === 32 ? "" : ` (batch ${r.training.batchSize})`}`;

/** The pipeline's plan, or why the section cannot time it. */
function planOf(file: string): Plan {
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  const c = compile(source, basename(file));
  if (!c.pipeline) throw new Error(`${file} has errors: run cnnp check ${file}`);
  const p = plan(c.pipeline);
  const other = p.runs.find((r) => r.data.name !== "fashion_mnist");
  if (other)
    throw new Error(`the study section times Fashion-MNIST runs; ${file} trains on ${other.data.name}`);
  return p;
}

/**
 * A pipeline's wall time on this machine (the study's unless `file` names another), estimated
 * from measured epoch times of each of its models at each batch size and its plan, for one worker
 * using every core and for one single-thread worker per core; and whether `cnnp run`'s default
 * layout is the faster one.
 */
export async function benchStudy(images: number, file = studyFile): Promise<void> {
  const p: Plan = planOf(file);
  const cores = Math.max(2, availableParallelism());
  const models = new Map<string, Run>();
  for (const r of p.runs) if (!models.has(keyOf(r))) models.set(keyOf(r), r);
  console.log(
    `\n${basename(file)}: ${p.runs.length} runs of ${models.size} models and batch sizes (${p.totals.uniqueJobs} distinct jobs, ${p.totals.waitingJobs} waiting); each timed on ${images.toLocaleString("en-US")} images, native`,
  );
  const alone = new Map<string, Rate>();
  const paired = new Map<string, Rate>();
  for (const [key, run] of models) {
    const req = { model: run.model, batch: run.training.batchSize, train: images, test: 500 };
    alone.set(key, await measure(req, cores));
    const pair = await Promise.all(Array.from({ length: cores }, () => measure(req, 1)));
    paired.set(key, {
      ...(pair[0] as Rate),
      train: mean(pair.map((r) => r.train)),
      test: mean(pair.map((r) => r.test)),
    });
    const a = alone.get(key) as Rate;
    const b = paired.get(key) as Rate;
    console.log(
      `  ${nameOf(run).padEnd(34)} 60,000 images: ${(a.train * 60000).toFixed(1).padStart(6)} s on 1 process x ${cores} threads, ${(b.train * 60000).toFixed(1).padStart(6)} s each on ${cores} processes x 1 thread at once`,
    );
  }
  // The costliest models, where convolutions dominate: the whole step against kernel by kernel.
  const costliest = [...alone.entries()].sort((a, b) => b[1].train - a[1].train).slice(0, 3);
  for (const [key, step] of costliest) {
    const run = models.get(key) as Run;
    const req = { model: run.model, batch: run.training.batchSize, train: images, test: 500 };
    const kernels = await measure(req, cores, { CNNP_NATIVE_STEP: "off" });
    console.log(
      `  ${nameOf(run).padEnd(34)} kernel by kernel ${(kernels.train * 60000).toFixed(1)} s, whole step ${(step.train * 60000).toFixed(1)} s per 60,000 images on ${cores} threads: ${(kernels.train / step.train).toFixed(2)}x`,
    );
  }
  const layouts = [
    { workers: 1, threads: cores, rates: alone },
    { workers: cores, threads: 1, rates: paired },
  ];
  // cnnp run takes the runs in plan order, those kept back for answers last.
  const kept = new Set(p.deferred.map((d) => d.run));
  const order = [...p.runs.filter((r) => !kept.has(r.id)), ...p.runs.filter((r) => kept.has(r.id))];
  const stops = stoppedEpochs(p);
  const stopped = (r: Run): Run => {
    const e = stops.get(r.id);
    return e === undefined ? r : { ...r, epochs: e, evaluateAt: r.evaluateAt.filter((x) => x <= e) };
  };
  const totals = layouts.map((l) => {
    const secondsOf = new Map(p.runs.map((r) => [r.id, runSeconds(r, l.rates.get(keyOf(r)) as Rate)]));
    const perRun = p.runs.map((r) => secondsOf.get(r.id) as number);
    const inOrder = order.map((r) => secondsOf.get(r.id) as number);
    const asStopped = order.map((r) =>
      stops.has(r.id)
        ? runSeconds(stopped(r), l.rates.get(keyOf(r)) as Rate)
        : (secondsOf.get(r.id) as number),
    );
    return { ...l, perRun, wall: makespan(inOrder, l.workers), stoppedWall: makespan(asStopped, l.workers) };
  });
  console.log(
    "  experiment (runs counted where first planned)".padEnd(58) +
      totals.map((t) => `${t.workers}x${t.threads}`.padStart(9)).join(""),
  );
  const firstOf = new Map<string, number>();
  for (const [i, e] of p.experiments.entries())
    for (const j of e.jobs) if (!firstOf.has(j.run)) firstOf.set(j.run, i);
  for (const [i, e] of p.experiments.entries()) {
    const cells = totals.map((t) => {
      const busy = p.runs.reduce((s, r, k) => s + (firstOf.get(r.id) === i ? (t.perRun[k] as number) : 0), 0);
      return hms(busy / t.workers).padStart(9);
    });
    console.log(`  ${e.title.slice(0, 54).padEnd(56)}${cells.join("")}`);
  }
  console.log(
    `  ${"wall time (runs in plan order, those kept back last)".padEnd(56)}${totals.map((t) => hms(t.wall).padStart(9)).join("")}`,
  );
  if (stops.size > 0)
    console.log(
      `  ${`the same, stopping where the committed runs did (${stops.size})`.padEnd(56)}${totals.map((t) => hms(t.stoppedWall).padStart(9)).join("")}`,
    );
  const best = totals.reduce((a, b) => (a.wall <= b.wall ? a : b));
  const d = defaultLayout(cores);
  const isDefault = d.workers === best.workers && d.threads === best.threads;
  console.log(
    `  fastest: ${best.workers} worker(s) x ${best.threads} thread(s); cnnp run's default (${d.workers} x ${d.threads}) ${isDefault ? "is" : "is NOT"} the fastest`,
  );
  const stopping = p.runs.some((r) => r.training.earlyStopping);
  console.log(
    `  ${stopping ? `early stopping counted at its largest epoch count${file === studyFile ? " (6.1, 6.2: 100)" : ""}; ` : ""}the ${p.totals.waitingJobs} jobs waiting for answers share ${p.deferred.length} of the runs counted (cnnp run keeps those back until the answers come), so they add no training unless an answer asks for more epochs than such a run has`,
  );
}
