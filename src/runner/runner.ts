import type { Backend } from "../check/types.js";
import type { Job } from "../plan/types.js";
import { type FailedResult, type OkResult, type ResultFile, schemaVersion } from "../store/schema.js";
import type { ResultStore } from "../store/store.js";
import { host } from "../train/environment.js";
import { jobIdentity } from "../train/job-results.js";
import type { Progress } from "../train/types.js";
import type { Claims, Holder } from "./claims.js";
import type { Unit } from "./protocol.js";
import type { SourceInfo } from "./source.js";
import { type Outcome, Trainer } from "./trainer.js";

export interface RunnerOptions {
  /** Worker processes to start at most (never more than there are units). */
  workers: number;
  store: ResultStore;
  claims: Claims;
  data: { dir: string; checksum: string; official: boolean };
  /** `--backend`, overriding each run's own. */
  backend?: Backend;
  source: SourceInfo;
  signal: AbortSignal;
  /** How often to look again at runs another cnnp holds, in ms. */
  pollMs?: number;
}

/** What the runner tells its caller, as it happens. Worker numbers start at 1. */
export interface RunnerEvents {
  notice(text: string): void;
  started(worker: number, unit: Unit): void;
  progress(worker: number, unit: Unit, p: Progress): void;
  /** The files written for a unit's jobs: ok, or failed with the error. */
  finished(worker: number, unit: Unit, files: ResultFile[]): void;
  /** Jobs another cnnp run finished while this one waited or planned. */
  elsewhere(unit: Unit, files: OkResult[]): void;
  /** Runs held by another live cnnp run, which this one waits for. */
  waiting(held: { unit: Unit; holder: Holder }[]): void;
}

interface Worker {
  number: number;
  trainer: Trainer;
  unit: Unit | null;
}

/**
 * Trains units on a pool of worker processes, each with its own TensorFlow.js, and writes each job's
 * result file as its unit finishes. Every unit is claimed first (see Claims), so another `cnnp run`
 * on the same folder trains other units or waits. Resolves when every unit is done, failed, or
 * finished elsewhere, or when `signal` aborts (then `interrupted` is true and in-flight units are
 * lost, nothing else).
 */
export function runUnits(
  units: Unit[],
  opts: RunnerOptions,
  events: RunnerEvents,
): Promise<{ interrupted: boolean }> {
  const queue = [...units];
  const waiting: { unit: Unit; holder: Holder }[] = [];
  const workers: Worker[] = [];
  let nextNumber = 1;
  let stopping = false;
  let poll: NodeJS.Timeout | undefined;

  return new Promise((resolve) => {
    const finish = (interrupted: boolean) => {
      if (stopping) return;
      stopping = true;
      if (poll) clearTimeout(poll);
      opts.signal.removeEventListener("abort", onAbort);
      for (const w of workers) {
        if (interrupted) w.trainer.kill();
        else w.trainer.close();
      }
      opts.claims.releaseAll();
      resolve({ interrupted });
    };
    const onAbort = () => finish(true);
    if (opts.signal.aborted) return finish(true);
    opts.signal.addEventListener("abort", onAbort);

    /** The unit's jobs without a valid ok result; reports the others as done elsewhere. */
    const remaining = (unit: Unit): Unit | null => {
      const left: Job[] = [];
      const done: OkResult[] = [];
      for (const job of unit.jobs) {
        const s = opts.store.read(job.id);
        if (s.kind === "valid" && s.result.status === "ok") done.push(s.result);
        else left.push(job);
      }
      if (done.length > 0) events.elsewhere(unit, done);
      return left.length > 0 ? { run: unit.run, jobs: left } : null;
    };

    const write = (w: Worker, unit: Unit, m: Outcome) => {
      const finishedAt = new Date().toISOString();
      const common = { schema: schemaVersion, finishedAt, data: opts.data, source: opts.source } as const;
      const files: ResultFile[] =
        m.type === "done"
          ? m.results.map((r): OkResult => ({ ...common, status: "ok", ...r }))
          : unit.jobs.map(
              (job): FailedResult => ({
                ...common,
                status: "failed",
                error: m.error,
                ...jobIdentity(job, unit.run),
                host: host(),
              }),
            );
      for (const f of files) opts.store.write(f);
      opts.claims.release(unit.run.id);
      events.finished(w.number, unit, files);
    };

    const spawn = (): Worker => {
      const w: Worker = {
        number: nextNumber++,
        unit: null,
        trainer: new Trainer({
          what: "worker process",
          notice: (text) => {
            if (!stopping) events.notice(text);
          },
          exit: () => {
            workers.splice(workers.indexOf(w), 1);
            // A unit in flight is failed and rescheduled by its own settlement (start).
            if (!stopping && !w.unit) schedule();
          },
        }),
      };
      workers.push(w);
      return w;
    };

    const start = (w: Worker, unit: Unit) => {
      w.unit = unit;
      const backend = opts.backend ?? unit.run.backend;
      events.started(w.number, unit);
      void w.trainer
        .train(unit, { dir: opts.data.dir, checksum: opts.data.checksum }, backend, (p) => {
          if (!stopping) events.progress(w.number, unit, p);
        })
        .then((m) => {
          if (stopping) return;
          w.unit = null;
          write(w, unit, m);
          schedule();
        });
    };

    /** The next unit this process may train: claimed, and with jobs still to do. */
    const next = (): Unit | null => {
      while (queue.length > 0) {
        const unit = queue.shift() as Unit;
        const holder = opts.claims.claim(unit.run.id);
        if (holder) {
          waiting.push({ unit, holder });
          continue;
        }
        const left = remaining(unit);
        if (left) return left;
        opts.claims.release(unit.run.id);
      }
      return null;
    };

    const recheck = () => {
      poll = undefined;
      for (let i = waiting.length - 1; i >= 0; i--) {
        const { unit } = waiting[i] as { unit: Unit };
        if (opts.claims.holder(unit.run.id) === null) {
          waiting.splice(i, 1);
          queue.unshift(unit);
        }
      }
      schedule();
    };

    let reported = 0;
    const schedule = () => {
      if (stopping) return;
      for (const w of workers) {
        if (w.unit || w.trainer.exited) continue;
        const unit = next();
        if (!unit) break;
        start(w, unit);
      }
      while (queue.length > 0 && workers.length < opts.workers) {
        const unit = next();
        if (!unit) break;
        start(spawn(), unit);
      }
      const busy = workers.some((w) => w.unit);
      if (!busy && queue.length === 0 && waiting.length === 0) return finish(false);
      if (waiting.length > 0 && !poll) {
        if (!busy && waiting.length !== reported) {
          reported = waiting.length;
          events.waiting([...waiting]);
        }
        poll = setTimeout(recheck, opts.pollMs ?? 1000);
      }
    };
    schedule();
  });
}
