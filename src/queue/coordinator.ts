import { type Job as BullJob, Queue, QueueEvents } from "bullmq";
import type { ExecEvent, Executor, Trained } from "../execute/types.js";
import type { Backend } from "../model/index.js";
import type { Unit } from "../plan/types.js";
import { printable } from "../store/printable.js";
import type { Progress } from "../train/types.js";
import { outageReporter } from "./connect.js";
import {
  isWorkerName,
  protocol,
  type QueuedProgress,
  type QueuedRun,
  queueJobId,
  queueName,
  readResult,
} from "./payload.js";
import type { QueueTarget } from "./url.js";

export interface CoordinatorOptions {
  target: QueueTarget;
  /** The checksum of the data this coordinator read: a worker with other data refuses its runs. */
  dataChecksum: string;
  backend?: Backend;
  /** Tries per run before it is recorded as failed (a killed worker's try does not count). */
  attempts: number;
  /** How often to look at every outstanding run, besides the queue's events, in ms. */
  pollMs?: number;
}

/** Kept in Redis so a coordinator that was away can still collect them (two weeks). */
const keepSeconds = 14 * 24 * 3600;

/**
 * How long a stopping coordinator waits for Redis to let its connections go: with Redis gone,
 * BullMQ's close would wait for ever.
 */
const closeGraceMs = 2000;

/** A worker's progress report, if it is one (anyone who can write to the queue can send one). */
function isProgress(p: unknown): p is Progress {
  if (typeof p !== "object" || p === null) return false;
  const { epoch, epochs, batch, batches } = p as Record<string, unknown>;
  const whole = (n: unknown, max: number) =>
    Number.isInteger(n) && (n as number) >= 0 && (n as number) <= max;
  return (
    whole(epochs, 1e6) &&
    whole(epoch, epochs as number) &&
    whole(batches, 1e9) &&
    whole(batch, batches as number)
  );
}

/** The orchestrator could not take a result (say, a full disk): not a queue problem, and fatal. */
export class Undeliverable extends Error {}

/**
 * The queue executor (`cnnp run --queue`): enqueues each unit as a BullMQ job whose id is its
 * content hash (so enqueueing again adds nothing), then reports each result a worker returns as the
 * unit's "trained" event, and forgets the unit only once that event has been handled (its files
 * written). A result that is malformed is a failed unit with the reason, never a queue outage.
 * Runs finished while no coordinator was running are collected from Redis on start; runs that
 * failed for good before are tried again. If `signal` aborts, the queued runs stay queued and
 * workers go on with them.
 */
export class QueueExecutor implements Executor {
  constructor(private readonly opts: CoordinatorOptions) {}

  run(units: Unit[], emit: (e: ExecEvent) => void, signal: AbortSignal): Promise<{ interrupted: boolean }> {
    return coordinate(units, this.opts, emit, signal);
  }
}

async function coordinate(
  units: Unit[],
  opts: CoordinatorOptions,
  emit: (e: ExecEvent) => void,
  signal: AbortSignal,
): Promise<{ interrupted: boolean }> {
  const connection = { ...opts.target.connection };
  const queue = new Queue<QueuedRun>(queueName, { connection });
  const queueEvents = new QueueEvents(queueName, { connection });
  const outstanding = new Map<string, Unit>();
  for (const u of units) outstanding.set(queueJobId(u), u);
  const workerOf = new Map<string, string>();
  /** Failed tries already reported, per run. */
  const triesSeen = new Map<string, number>();
  const notice = (text: string) => emit({ type: "notice", text });
  /** Why a try failed, as a worker told Redis: without credentials or control characters. */
  const reasonOf = (job: BullJob<QueuedRun>, none: string) =>
    printable(opts.target.redact(job.failedReason || none));
  const shownWorker = (name: string | undefined) => (isWorkerName(name) ? name : null);
  const onError = outageReporter(opts.target, notice);
  queue.on("error", onError);
  queueEvents.on("error", onError);

  let done!: (interrupted: boolean) => void;
  let fail!: (e: unknown) => void;
  const over = new Promise<boolean>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  let stopped = false;
  const onAbort = () => done(true);
  signal.addEventListener("abort", onAbort);

  /** Hands the unit's outcome on, and only then forgets the unit. */
  const settle = (id: string, outcome: Trained, how: { worker: string | null; away: boolean }) => {
    const unit = outstanding.get(id);
    if (!unit || stopped) return;
    try {
      emit({ type: "trained", slot: id, unit, outcome, ...how });
    } catch (e) {
      throw new Undeliverable((e as Error).message);
    }
    outstanding.delete(id);
    if (outstanding.size === 0) done(false);
  };

  const collect = (id: string, queued: BullJob<QueuedRun>, away: boolean) => {
    const r = readResult(queued.returnvalue);
    if (typeof r === "string")
      return settle(id, { type: "failed", error: r }, { worker: shownWorker(queued.processedBy), away });
    settle(
      id,
      { type: "done", results: r.results, queue: { worker: r.worker, attempts: queued.attemptsMade } },
      { worker: r.worker, away },
    );
  };

  const add = async (ids: string[]) => {
    if (ids.length === 0) return;
    await queue.addBulk(
      ids.map((id) => {
        const unit = outstanding.get(id) as Unit;
        return {
          name: "train",
          data: {
            protocol,
            unit,
            dataChecksum: opts.dataChecksum,
            backend: opts.backend ?? unit.run.backend,
          },
          opts: {
            jobId: id,
            attempts: opts.attempts,
            backoff: { type: "exponential", delay: 2000 },
            removeOnComplete: { age: keepSeconds },
            removeOnFail: { age: keepSeconds },
            // No worker's stack trace (its paths) is kept in Redis.
            stackTraceLimit: 0,
          },
        };
      }),
    );
  };

  /**
   * Looks at one run in Redis and acts: collect, record the failure, or wait. Says "missing" when
   * the run is not in Redis (never added, or removed by hand since) so the caller queues it.
   */
  const check = async (id: string, first = false): Promise<"missing" | undefined> => {
    const job = await queue.getJob(id);
    if (!outstanding.has(id) || stopped) return;
    if (!job) return "missing";
    const state = await job.getState();
    const tries = job.attemptsMade;
    if (state === "completed") collect(id, job, first);
    else if (state === "failed") {
      if (first) {
        // A new `cnnp run` tries failed runs again, as it does locally.
        notice(
          `run ${id.slice(0, 12)} failed on the queue before (${reasonOf(job, "no reason")}); trying it again`,
        );
        await job.retry("failed");
      } else {
        const worker = shownWorker(job.processedBy);
        const who = worker ? ` on ${worker}` : "";
        const reason = reasonOf(job, "no reason given");
        settle(
          id,
          { type: "failed", error: `${reason} (${tries} ${tries === 1 ? "try" : "tries"}, the last${who})` },
          { worker, away: false },
        );
      }
    } else if (tries > (triesSeen.get(id) ?? 0) && job.failedReason) {
      // A try failed and BullMQ will try again after its back-off.
      triesSeen.set(id, tries);
      const worker = shownWorker(job.processedBy);
      requeue(
        id,
        `run ${id.slice(0, 12)}: try ${tries} of ${opts.attempts} failed${worker ? ` on ${worker}` : ""} (${reasonOf(job, "no reason")}); trying again`,
      );
    }
  };

  /** Checks every outstanding run, and queues in one go those Redis does not have. */
  const checkAll = async (first = false) => {
    const missing: string[] = [];
    for (const id of [...outstanding.keys()]) if ((await check(id, first)) === "missing") missing.push(id);
    await add(missing);
  };
  // A result the orchestrator could not take ends the run; anything else is the queue's trouble.
  const safely = (p: Promise<unknown>) => p.catch((e) => (e instanceof Undeliverable ? fail(e) : onError(e)));

  queueEvents.on("progress", ({ jobId, data }) => {
    const unit = outstanding.get(jobId);
    const d = data as unknown as QueuedProgress;
    if (!unit || stopped || !d || typeof d !== "object" || !isWorkerName(d.worker)) return;
    if (workerOf.get(jobId) !== d.worker) {
      workerOf.set(jobId, d.worker);
      seen(d.worker);
      emit({ type: "started", slot: jobId, unit, worker: d.worker });
    }
    if (isProgress(d.progress)) emit({ type: "progress", slot: jobId, unit, progress: d.progress });
  });
  const requeue = (jobId: string, why: string) => {
    const unit = outstanding.get(jobId);
    if (!unit || stopped) return;
    if (workerOf.has(jobId)) emit({ type: "requeued", slot: jobId, unit });
    workerOf.delete(jobId);
    notice(why);
  };
  queueEvents.on("stalled", ({ jobId }) => {
    const w = workerOf.get(jobId);
    requeue(
      jobId,
      `run ${jobId.slice(0, 12)}: ${w ?? "its worker"} stopped answering (killed, or cut off from Redis); the run goes back to the queue for another worker`,
    );
  });
  queueEvents.on("completed", ({ jobId }) => void safely(check(jobId)));
  // A failed try with tries left makes the run "delayed" (its back-off); the last one "failed".
  queueEvents.on("delayed", ({ jobId }) => void safely(check(jobId)));
  queueEvents.on("failed", ({ jobId }) => void safely(check(jobId)));

  const known = new Set<string>();
  const seen = (name: string) => {
    if (known.has(name)) return;
    known.add(name);
    emit({ type: "workers", names: [...known] });
  };
  /** The workers connected now, by their names (BullMQ names each worker's Redis client). */
  const lookForWorkers = async () => {
    const clients = await queue.getWorkers();
    for (const c of clients) {
      const raw = c.rawname ?? "";
      const at = raw.indexOf(":w:");
      const name = raw.slice(at + 3);
      if (at >= 0 && isWorkerName(name)) seen(name);
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    await safely(checkAll());
    await safely(lookForWorkers());
    if (!stopped) timer = setTimeout(() => void poll(), opts.pollMs ?? 5000);
  };

  // Nothing below waits on Redis unbounded once the signal aborts: the start (which waits for
  // Redis) runs beside `over`, and the close after it gets a few seconds.
  if (signal.aborted) done(true);
  const start = async () => {
    await queueEvents.waitUntilReady();
    await queue.waitUntilReady();
    // Events first, then the look at what is there: nothing can finish unseen in between.
    await checkAll(true);
    if (stopped) return;
    if (outstanding.size === 0) done(false);
    else timer = setTimeout(() => void poll(), opts.pollMs ?? 5000);
    void safely(lookForWorkers());
  };
  try {
    start().catch(fail);
    return { interrupted: await over };
  } finally {
    stopped = true;
    if (timer) clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    await closeWithin([queueEvents, queue], closeGraceMs);
  }
}

/**
 * Closes BullMQ's clients, waiting at most `ms` for Redis; then drops their connections whatever
 * the close got to, so no reconnect timer keeps the process alive.
 */
async function closeWithin(clients: (Queue | QueueEvents)[], ms: number): Promise<void> {
  let late: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(clients.map((c) => c.close())),
    new Promise<void>((r) => {
      late = setTimeout(r, ms);
    }),
  ]);
  clearTimeout(late);
  for (const c of clients) c.disconnect().catch(() => {});
}
