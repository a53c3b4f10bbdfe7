import type { Backend } from "../model/index.js";
import type { Unit } from "../plan/types.js";
import { Trainer } from "../runner/trainer.js";
import type { ResultStore } from "../store/store.js";
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
    const opts = this.opts;
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
        signal.removeEventListener("abort", onAbort);
        for (const w of workers) {
          if (interrupted) w.trainer.kill();
          else w.trainer.close();
        }
        opts.claims.releaseAll();
        resolve({ interrupted });
      };
      const onAbort = () => finish(true);
      if (signal.aborted) return finish(true);
      signal.addEventListener("abort", onAbort);

      /** The unit's jobs without a valid ok result; reports the others as done elsewhere. */
      const remaining = (unit: Unit): Unit | null => {
        const { left, done } = unfinishedOf(unit, (id) => opts.store.read(id));
        if (done.length > 0) emit({ type: "elsewhere", unit, files: done });
        return left;
      };

      const spawn = (): Worker => {
        const w: Worker = {
          number: nextNumber++,
          unit: null,
          trainer: new Trainer({
            what: "worker process",
            notice: (text) => {
              if (!stopping) emit({ type: "notice", text });
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
        const slot = String(w.number);
        emit({ type: "started", slot, unit });
        void w.trainer
          .train(unit, opts.data, opts.backend ?? unit.run.backend, (progress) => {
            if (!stopping) emit({ type: "progress", slot, unit, progress });
          })
          .then((m) => {
            if (stopping) return;
            w.unit = null;
            const outcome =
              m.type === "done"
                ? { type: "done" as const, results: m.results }
                : { type: "failed" as const, error: m.error };
            emit({ type: "trained", slot, unit, outcome, worker: null, away: false });
            opts.claims.release(unit.run.id);
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
            emit({ type: "waiting", held: [...waiting] });
          }
          poll = setTimeout(recheck, opts.pollMs ?? 1000);
        }
      };
      schedule();
    });
  }
}
