import type { Backend } from "../model/index.js";
import type { Unit } from "../plan/types.js";
import { Trainer } from "../runner/trainer.js";
import type { SavedCheckpoint } from "../store/checkpoint.js";
import type { ResultStore } from "../store/store.js";
import type { Progress } from "../train/types.js";
import type { Claims, Holder } from "./claims.js";
import { unfinishedOf } from "./pending.js";
import type { ExecEvent, Executor } from "./types.js";

export interface LocalOptions {
  /** Worker processes to start at most (never more than there are units). */
  workers: number;
  store: ResultStore;
  claims: Claims;
  data: { dir: string; checksum: string };
  /** `--backend`, overriding each run's own. */
  backend?: Backend;
  /** How often to look again at runs another cnnp holds, in ms. */
  pollMs?: number;
}

interface Worker {
  number: number;
  trainer: Trainer;
  unit: Unit | null;
}

/**
 * The local executor: trains units on a pool of worker processes, each with its own TensorFlow.js.
 * Every unit is claimed first (see Claims), so another `cnnp run` on the same folder trains other
 * units or waits; a claim is released only after the unit's "trained" event, in which the
 * orchestrator writes its files. If `signal` aborts, in-flight units are lost, nothing else.
 */
export class LocalPool implements Executor {
  constructor(private readonly opts: LocalOptions) {}

  run(units: Unit[], emit: (e: ExecEvent) => void, signal: AbortSignal): Promise<{ interrupted: boolean }> {
    return new PoolRun(this.opts, units, emit, signal).start();
  }
}

/**
 * One `run` of the pool: the units still to start, those another cnnp run holds (looked at again
 * every `pollMs`), and the worker processes, each training one unit at a time.
 */
class PoolRun {
  private readonly queue: Unit[];
  private readonly waiting: { unit: Unit; holder: Holder }[] = [];
  private readonly workers: Worker[] = [];
  private nextNumber = 1;
  private stopping = false;
  private poll: NodeJS.Timeout | undefined;
  /** How many held units the last "waiting" event named. */
  private reported = 0;
  private resolve: (r: { interrupted: boolean }) => void = () => {};
  private readonly onAbort = () => this.finish(true);

  constructor(
    private readonly opts: LocalOptions,
    units: Unit[],
    private readonly emit: (e: ExecEvent) => void,
    private readonly signal: AbortSignal,
  ) {
    this.queue = [...units];
  }

  /** Trains every unit; resolves once all are trained (or done elsewhere), or on abort. */
  start(): Promise<{ interrupted: boolean }> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      if (this.signal.aborted) {
        this.finish(true);
        return;
      }
      this.signal.addEventListener("abort", this.onAbort);
      this.schedule();
    });
  }

  /** Stops the workers (killed on an interrupt, else closed), lets every claim go and resolves. */
  private finish(interrupted: boolean): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.poll) clearTimeout(this.poll);
    this.signal.removeEventListener("abort", this.onAbort);
    for (const w of this.workers) {
      if (interrupted) w.trainer.kill();
      else w.trainer.close();
    }
    this.opts.claims.releaseAll();
    this.resolve({ interrupted });
  }

  /** The unit's jobs without a valid ok result; reports the others as done elsewhere. */
  private remaining(unit: Unit): Unit | null {
    const { left, done } = unfinishedOf(unit, (id) => this.opts.store.read(id));
    if (done.length > 0) this.emit({ type: "elsewhere", unit, files: done });
    return left;
  }

  private spawn(): Worker {
    const w: Worker = {
      number: this.nextNumber++,
      unit: null,
      trainer: new Trainer({
        what: "worker process",
        notice: (text) => {
          if (!this.stopping) this.emit({ type: "notice", text });
        },
        exit: () => {
          this.workers.splice(this.workers.indexOf(w), 1);
          // A unit in flight is failed and rescheduled by its own settlement (train).
          if (!this.stopping && !w.unit) this.schedule();
        },
      }),
    };
    this.workers.push(w);
    return w;
  }

  /** Has the worker train the unit; when it is over, reports it, lets its claim go and schedules. */
  private train(w: Worker, unit: Unit): void {
    w.unit = unit;
    const slot = String(w.number);
    this.emit({ type: "started", slot, unit });
    const progress = (p: Progress) => {
      if (!this.stopping) this.emit({ type: "progress", slot, unit, progress: p });
    };
    void w.trainer
      .train(unit, this.opts.data, this.opts.backend ?? unit.run.backend, progress, this.resumeOf(unit))
      .then((m) => {
        if (this.stopping) return;
        w.unit = null;
        const outcome =
          m.type === "done"
            ? {
                type: "done" as const,
                results: m.results,
                ...(m.checkpoint ? { checkpoint: m.checkpoint } : {}),
              }
            : {
                type: "failed" as const,
                error: m.error,
                ...(m.unavailable ? { unavailable: m.unavailable } : {}),
              };
        this.emit({ type: "trained", slot, unit, outcome, worker: null, away: false });
        this.opts.claims.release(unit.run.id);
        this.schedule();
      });
  }

  /**
   * The run's kept checkpoint, when the unit continues it: at fewer epochs than the unit trains,
   * and before every job the unit serves (an earlier one would need the epochs it skips).
   */
  private resumeOf(unit: Unit): SavedCheckpoint | undefined {
    if (unit.run.training.earlyStopping) return undefined;
    const c = this.opts.store.readCheckpoint(unit.run.id);
    if (!c || c.epoch >= unit.run.epochs || unit.jobs.some((j) => j.epochs <= (c?.epoch ?? 0)))
      return undefined;
    return c;
  }

  /** The next unit this process may train: claimed, and with jobs still to do. */
  private next(): Unit | null {
    while (this.queue.length > 0) {
      const unit = this.queue.shift() as Unit;
      const holder = this.opts.claims.claim(unit.run.id);
      if (holder) {
        this.waiting.push({ unit, holder });
        continue;
      }
      const left = this.remaining(unit);
      if (left) return left;
      this.opts.claims.release(unit.run.id);
    }
    return null;
  }

  /** Puts back in the queue the held units whose claim is gone, and schedules. */
  private recheck(): void {
    this.poll = undefined;
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const { unit } = this.waiting[i] as { unit: Unit };
      if (this.opts.claims.holder(unit.run.id) === null) {
        this.waiting.splice(i, 1);
        this.queue.unshift(unit);
      }
    }
    this.schedule();
  }

  /**
   * Gives idle workers the next units, starts workers (up to the limit) for what is left, and
   * finishes when nothing is left anywhere; while units are held elsewhere, looks again later.
   */
  private schedule(): void {
    if (this.stopping) return;
    for (const w of this.workers) {
      if (w.unit || w.trainer.exited) continue;
      const unit = this.next();
      if (!unit) break;
      this.train(w, unit);
    }
    while (this.queue.length > 0 && this.workers.length < this.opts.workers) {
      const unit = this.next();
      if (!unit) break;
      this.train(this.spawn(), unit);
    }
    const busy = this.workers.some((w) => w.unit);
    if (!busy && this.queue.length === 0 && this.waiting.length === 0) {
      this.finish(false);
      return;
    }
    if (this.waiting.length > 0 && !this.poll) {
      if (!busy && this.waiting.length !== this.reported) {
        this.reported = this.waiting.length;
        this.emit({ type: "waiting", held: [...this.waiting] });
      }
      this.poll = setTimeout(() => this.recheck(), this.opts.pollMs ?? 1000);
    }
  }
}
