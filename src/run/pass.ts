import { Claims } from "../execute/claims.js";
import { recordContext } from "../execute/contexts.js";
import { execute } from "../execute/execute.js";
import { LocalPool } from "../execute/local.js";
import { plannedBatches } from "../execute/pending.js";
import { sourceInfo } from "../execute/source.js";
import type { Executor } from "../execute/types.js";
import type { Backend } from "../model/index.js";
import { describeRedisError } from "../queue/connect.js";
import { QueueExecutor, Undeliverable } from "../queue/coordinator.js";
import { reachQueue } from "../queue/reach.js";
import type { QueueTarget } from "../queue/url.js";
import { WriteError } from "../util/write-error.js";
import { interruptible } from "./interrupt.js";
import { plural } from "./lines.js";
import type { Output } from "./output.js";
import type { Prepared } from "./prepare.js";
import { type Display, Tracker } from "./progress.js";
import { PassReporter } from "./reporter.js";

/** How `cnnp run` trains: where, on how many workers, and how it prints results. */
export interface PassSettings {
  file: string;
  /** Worker processes at most (the local pool). */
  workers: number;
  /** `--queue`: the Redis of the queue, and tries per training run. */
  queue?: { target: QueueTarget; attempts: number };
  /** `--backend`, overriding each run's own. */
  backend?: Backend;
  /** One JSON result per job instead of a line. */
  json: boolean;
}

/** Where a session's lines go, and how a training pass is shown (the CLI's displays). */
export interface SessionOutput extends Output {
  /** The display of a training pass over its tracker; `training` when the pass has units to train. */
  display(tracker: Tracker, training: boolean): Display;
}

/** How a pass ended: its exit code (0 unless it was cut short) and whether a job failed. */
export interface PassEnd {
  code: number;
  failed: boolean;
}

/** Worker processes a pass starts: never more than it has runs to train. */
export const workersFor = (s: PassSettings, x: Prepared): number =>
  Math.min(s.workers, Math.max(1, x.work.units.length));

function executorOf(s: PassSettings, x: Prepared): Executor {
  if (s.queue)
    return new QueueExecutor({
      target: s.queue.target,
      dataChecksum: x.data.checksum,
      backend: s.backend,
      attempts: s.queue.attempts,
    });
  return new LocalPool({
    workers: s.workers,
    store: x.store,
    claims: new Claims(x.store.dir),
    data: { dir: x.data.dir, checksum: x.data.checksum },
    backend: s.backend,
  });
}

/** Trains the pending units; null when Redis went away for good (after saying so). */
async function train(
  x: Prepared,
  s: PassSettings,
  reporter: PassReporter,
  signal: AbortSignal,
  say: (line: string) => void,
): Promise<{ interrupted: boolean } | null> {
  try {
    return await execute(x.work.units, {
      store: x.store,
      executor: executorOf(s, x),
      data: x.context.data,
      source: sourceInfo(s.file, x.store.dir),
      signal,
      onEvent: (e) => reporter.on(e),
    });
  } catch (e) {
    // Redis went away for good mid-run: what was collected is written; say so and how to go on.
    const queue = s.queue;
    if (!queue || e instanceof Undeliverable || e instanceof WriteError) throw e;
    say(
      `error: ${describeRedisError(queue.target, e)}. ${reporter.done} of ${x.total} jobs done; run the same command again to go on; results in ${x.store.jobsDir}`,
    );
    return null;
  }
}

/** The pass's display and reporter; the jobs done before are reported, and what is to train said. */
function showPass(x: Prepared, s: PassSettings, output: SessionOutput, workers: number): PassReporter {
  const { work } = x;
  const planned = work.units.map((u) => ({ key: u.run.id, steps: plannedBatches(u, x.data.trainCount) }));
  const tracker = new Tracker(x.total, planned, 0, s.queue ? 1 : workers);
  const display = output.display(tracker, work.units.length > 0);
  const reporter = new PassReporter(x.p, display, { json: s.json, trainCount: x.data.trainCount });
  reporter.report(work.done, "done before: ", null, x.again);
  const where = s.queue
    ? `on the queue at ${s.queue.target.shown} for cnnp workers (cnnp worker --queue URL)`
    : `on ${plural(workers, "worker process")}`;
  const left = work.units.reduce((n, u) => n + u.jobs.length, 0);
  const steps = planned.reduce((n, u) => n + u.steps, 0);
  if (work.units.length > 0)
    display.note(
      `training ${plural(left, "job")} in ${plural(work.units.length, "run")} (${plural(steps, "step")}) ${where}${s.json ? "" : "; results are printed as jobs finish"}${work.deferred.length > 0 ? `; ${plural(work.deferred.length, "run")} kept back until the answers that jobs sharing them wait for are known` : ""}`,
    );
  return reporter;
}

/** One pass: trains the pending work the plan has now, and prints each job as it finishes. */
export async function trainPass(x: Prepared, s: PassSettings, output: SessionOutput): Promise<PassEnd> {
  const { work, store, total } = x;
  const say = (line: string) => output.err(line);
  const workers = workersFor(s, x);
  if (s.queue && work.units.length > 0 && !(await reachQueue(s.queue.target, say)))
    return { code: 2, failed: false };
  const reporter = showPass(x, s, output, workers);
  // Only a pass that trains writes to the results folder: one with nothing to train works on a
  // read-only folder.
  if (work.units.length > 0) recordContext(store, x.context);
  const run =
    work.units.length === 0
      ? { value: { interrupted: false } }
      : await interruptible((signal) => train(x, s, reporter, signal, say), say);
  reporter.stop();
  if (run.value === null) return { code: 1, failed: false };
  if (run.value.interrupted) {
    const next = s.queue
      ? "the queued runs stay on the queue and the workers go on with them. Run the same command again to collect their results"
      : "the jobs in flight are lost. Run the same command again to go on";
    say(
      `interrupted (${run.signal ?? "signal"}): ${reporter.done} of ${total} jobs done, ${reporter.failed} failed; ${next}; results in ${store.jobsDir}`,
    );
    return { code: run.signal === "SIGTERM" ? 143 : 130, failed: false };
  }
  const failed = reporter.failed > 0 ? `, ${reporter.failed} failed` : "";
  const unavailable =
    reporter.unavailable > 0
      ? `, ${reporter.unavailable} not available (their back end did not load where they were tried; they run where it does)`
      : "";
  say(
    `${reporter.done - reporter.failed - reporter.unavailable} of ${plural(total, "job")} done (${work.done.length} from earlier runs)${failed}${unavailable}; results in ${store.jobsDir}`,
  );
  // A job not available here did not fail, but it did not train either: the command says so by its exit code.
  return { code: 0, failed: reporter.failed > 0 || reporter.unavailable > 0 };
}
