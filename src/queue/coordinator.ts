import { type Job as BullJob, Queue, QueueEvents } from "bullmq";
import type { Backend } from "../check/types.js";
import type { Job, Run } from "../plan/types.js";
import type { Unit } from "../runner/protocol.js";
import type { SourceInfo } from "../runner/source.js";
import { type FailedResult, type OkResult, type ResultFile, schemaVersion } from "../store/schema.js";
import type { ResultStore } from "../store/store.js";
import { host } from "../train/environment.js";
import { jobIdentity } from "../train/job-results.js";
import type { Progress } from "../train/types.js";
import { outageReporter } from "./connect.js";
import {
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
  store: ResultStore;
  data: { dir: string; checksum: string; official: boolean };
  backend?: Backend;
  source: SourceInfo;
  signal: AbortSignal;
  /** Tries per run before it is recorded as failed (a killed worker's try does not count). */
  attempts: number;
  /** How often to look at every outstanding run, besides the queue's events, in ms. */
  pollMs?: number;
}

/** What the coordinator tells its caller. `id` is the queue job id of the unit. */
export interface CoordinatorEvents {
  notice(text: string): void;
  /** A worker took the unit (again). */
  started(id: string, worker: string, unit: Unit): void;
  progress(id: string, unit: Unit, p: Progress): void;
  /** The unit went back to the queue (its worker stopped answering, or a try failed). */
  requeued(id: string, unit: Unit): void;
  /** The unit's result files, as written; `away` when they arrived while no coordinator ran. */
  finished(id: string, unit: Unit, files: ResultFile[], how: { worker: string | null; away: boolean }): void;
  /** The cnnp workers connected to the queue, when that changes. */
  workers(names: string[]): void;
}

/** Kept in Redis so a coordinator that was away can still collect them (two weeks). */
const keepSeconds = 14 * 24 * 3600;

/**
 * `cnnp run --queue`: enqueues each unit as a BullMQ job whose id is its content hash (so enqueueing
 * again adds nothing), then collects the results workers return and writes them to the result store.
 * Runs finished while no coordinator was running are collected from Redis on start; runs that
 * failed for good before are tried again. Resolves when every unit is collected or failed, or when
 * `signal` aborts (then the queued runs stay queued and workers go on with them).
 */
export async function coordinate(
  units: Unit[],
  opts: CoordinatorOptions,
  events: CoordinatorEvents,
): Promise<{ interrupted: boolean }> {
  const connection = { ...opts.target.connection };
  const queue = new Queue<QueuedRun>(queueName, { connection });
  const queueEvents = new QueueEvents(queueName, { connection });
  const outstanding = new Map<string, Unit>();
  for (const u of units) outstanding.set(queueJobId(u), u);
  const workerOf = new Map<string, string>();
  /** Failed tries already reported, per run. */
  const triesSeen = new Map<string, number>();
  const onError = outageReporter(opts.target, (line) => events.notice(line));
  queue.on("error", onError);
  queueEvents.on("error", onError);

  let done!: (interrupted: boolean) => void;
  const over = new Promise<boolean>((resolve) => {
    done = resolve;
  });
  let stopped = false;
  const onAbort = () => done(true);
  opts.signal.addEventListener("abort", onAbort);

  const common = () =>
    ({
      schema: schemaVersion,
      finishedAt: new Date().toISOString(),
      data: opts.data,
      source: opts.source,
    }) as const;

  const failed = (job: Job, run: Run, error: string): FailedResult => ({
    ...common(),
    status: "failed",
    error,
    ...jobIdentity(job, run),
    host: host(),
  });
  const failAll = (unit: Unit, error: string) => unit.jobs.map((job) => failed(job, unit.run, error));

  /** Writes the unit's files (a result already in the store is kept: a duplicate is harmless). */
  const settle = (id: string, files: ResultFile[], how: { worker: string | null; away: boolean }) => {
    const unit = outstanding.get(id);
    if (!unit || stopped) return;
    outstanding.delete(id);
    const written = files.map((f) => {
      const s = opts.store.read(f.job);
      if (s.kind === "valid" && s.result.status === "ok") return s.result;
      opts.store.write(f);
      return f;
    });
    events.finished(id, unit, written, how);
    if (outstanding.size === 0) done(false);
  };

  const collect = (id: string, queued: BullJob<QueuedRun>, away: boolean) => {
    const unit = outstanding.get(id);
    if (!unit) return;
    const r = readResult(queued.returnvalue);
    if (typeof r === "string")
      return settle(id, failAll(unit, r), { worker: queued.processedBy ?? null, away });
    const byJob = new Map(r.results.map((x) => [x.job, x]));
    const files = unit.jobs.map((job): ResultFile => {
      const x = byJob.get(job.id);
      if (!x) return failed(job, unit.run, `the worker ${r.worker} returned no result for it`);
      // The experiment and configuration numbers are this pipeline's, whoever queued the run first.
      return {
        ...common(),
        status: "ok",
        ...x,
        ...jobIdentity(job, unit.run),
        queue: { worker: r.worker, attempts: queued.attemptsMade },
      } satisfies OkResult;
    });
    settle(id, files, { worker: r.worker, away });
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
            dataChecksum: opts.data.checksum,
            backend: opts.backend ?? unit.run.backend,
          },
          opts: {
            jobId: id,
            attempts: opts.attempts,
            backoff: { type: "exponential", delay: 2000 },
            removeOnComplete: { age: keepSeconds },
            removeOnFail: { age: keepSeconds },
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
        events.notice(
          `run ${id.slice(0, 12)} failed on the queue before (${opts.target.redact(job.failedReason ?? "no reason")}); trying it again`,
        );
        await job.retry("failed");
      } else {
        const who = job.processedBy ? ` on ${job.processedBy}` : "";
        const reason = opts.target.redact(job.failedReason ?? "no reason given");
        settle(
          id,
          failAll(
            outstanding.get(id) as Unit,
            `${reason} (${tries} ${tries === 1 ? "try" : "tries"}, the last${who})`,
          ),
          { worker: job.processedBy ?? null, away: false },
        );
      }
    } else if (tries > (triesSeen.get(id) ?? 0) && job.failedReason) {
      // A try failed and BullMQ will try again after its back-off.
      triesSeen.set(id, tries);
      requeue(
        id,
        `run ${id.slice(0, 12)}: try ${tries} of ${opts.attempts} failed${job.processedBy ? ` on ${job.processedBy}` : ""} (${opts.target.redact(job.failedReason)}); trying again`,
      );
    }
  };

  /** Checks every outstanding run, and queues in one go those Redis does not have. */
  const checkAll = async (first = false) => {
    const missing: string[] = [];
    for (const id of [...outstanding.keys()]) if ((await check(id, first)) === "missing") missing.push(id);
    await add(missing);
  };
  const safely = (p: Promise<unknown>) => p.catch(onError);

  queueEvents.on("progress", ({ jobId, data }) => {
    const unit = outstanding.get(jobId);
    const d = data as unknown as QueuedProgress;
    if (!unit || stopped || !d || typeof d !== "object" || typeof d.worker !== "string") return;
    if (workerOf.get(jobId) !== d.worker) {
      workerOf.set(jobId, d.worker);
      seen(d.worker);
      events.started(jobId, d.worker, unit);
    }
    if (d.progress) events.progress(jobId, unit, d.progress);
  });
  const requeue = (jobId: string, why: string) => {
    const unit = outstanding.get(jobId);
    if (!unit || stopped) return;
    if (workerOf.has(jobId)) events.requeued(jobId, unit);
    workerOf.delete(jobId);
    events.notice(why);
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
    events.workers([...known]);
  };
  /** The workers connected now, by their names (BullMQ names each worker's Redis client). */
  const lookForWorkers = async () => {
    const clients = await queue.getWorkers();
    for (const c of clients) {
      const raw = c.rawname ?? "";
      const at = raw.indexOf(":w:");
      if (at >= 0) seen(raw.slice(at + 3));
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    await safely(checkAll());
    await safely(lookForWorkers());
    if (!stopped) timer = setTimeout(() => void poll(), opts.pollMs ?? 5000);
  };

  try {
    await queueEvents.waitUntilReady();
    await queue.waitUntilReady();
    // Events first, then the look at what is there: nothing can finish unseen in between.
    await checkAll(true);
    if (outstanding.size === 0) done(false);
    else timer = setTimeout(() => void poll(), opts.pollMs ?? 5000);
    void safely(lookForWorkers());
    return { interrupted: await over };
  } finally {
    stopped = true;
    if (timer) clearTimeout(timer);
    opts.signal.removeEventListener("abort", onAbort);
    await Promise.allSettled([queueEvents.close(), queue.close()]);
  }
}
