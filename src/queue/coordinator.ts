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
  unavailableMark,
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

/** A worker's name as it may be shown, if it is one. */
const shownWorker = (name: string | undefined) => (isWorkerName(name) ? name : null);

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
    return new Coordination(units, this.opts, emit, signal).run();
  }
}

/**
 * One `run` of the queue executor: the runs still outstanding (by queue id), what was seen of
 * them (who trains each, failed tries reported), and BullMQ's queue and its events.
 */
class Coordination {
  private readonly queue: Queue<QueuedRun>;
  private readonly queueEvents: QueueEvents;
  private readonly outstanding = new Map<string, Unit>();
  /** The worker training each run, as its progress reports name it. */
  private readonly workerOf = new Map<string, string>();
  /** Failed tries already reported, per run. */
  private readonly triesSeen = new Map<string, number>();
  /** The workers seen so far, by name. */
  private readonly known = new Set<string>();
  private readonly onError: (e: unknown) => void;
  /** Settles with whether the run was interrupted; rejects when a result could not be taken. */
  private readonly over: Promise<boolean>;
  private done: (interrupted: boolean) => void = () => {};
  private fail: (e: unknown) => void = () => {};
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.done(true);

  constructor(
    units: Unit[],
    private readonly opts: CoordinatorOptions,
    private readonly emit: (e: ExecEvent) => void,
    private readonly signal: AbortSignal,
  ) {
    const connection = { ...opts.target.connection };
    this.queue = new Queue<QueuedRun>(queueName, { connection });
    this.queueEvents = new QueueEvents(queueName, { connection });
    for (const u of units) this.outstanding.set(queueJobId(u), u);
    this.onError = outageReporter(opts.target, (text) => this.notice(text));
    this.queue.on("error", this.onError);
    this.queueEvents.on("error", this.onError);
    this.over = new Promise<boolean>((resolve, reject) => {
      this.done = resolve;
      this.fail = reject;
    });
    signal.addEventListener("abort", this.onAbort);
    this.listen();
  }

  /**
   * Queues what Redis lacks and collects every result. Nothing here waits on Redis unbounded once
   * the signal aborts: the start (which waits for Redis) runs beside `over`, and the close after
   * it gets a few seconds.
   */
  async run(): Promise<{ interrupted: boolean }> {
    if (this.signal.aborted) this.done(true);
    try {
      this.begin().catch(this.fail);
      return { interrupted: await this.over };
    } finally {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      this.signal.removeEventListener("abort", this.onAbort);
      await closeWithin([this.queueEvents, this.queue], closeGraceMs);
    }
  }

  private async begin(): Promise<void> {
    await this.queueEvents.waitUntilReady();
    await this.queue.waitUntilReady();
    // Events first, then the look at what is there: nothing can finish unseen in between.
    await this.checkAll(true);
    if (this.stopped) return;
    if (this.outstanding.size === 0) this.done(false);
    else this.timer = setTimeout(() => void this.poll(), this.opts.pollMs ?? 5000);
    void this.safely(this.lookForWorkers());
  }

  private notice(text: string): void {
    this.emit({ type: "notice", text });
  }

  /** Why a try failed, as a worker told Redis: without credentials or control characters. */
  private reasonOf(job: BullJob<QueuedRun>, none: string): string {
    return printable(this.opts.target.redact(job.failedReason || none));
  }

  /** The queue's events: progress, a worker gone silent, and runs that completed or failed. */
  private listen(): void {
    const events = this.queueEvents;
    events.on("progress", ({ jobId, data }) => this.progressed(jobId, data));
    events.on("stalled", ({ jobId }) => {
      const w = this.workerOf.get(jobId);
      this.requeue(
        jobId,
        `run ${jobId.slice(0, 12)}: ${w ?? "its worker"} stopped answering (killed, or cut off from Redis); the run goes back to the queue for another worker`,
      );
    });
    events.on("completed", ({ jobId }) => void this.safely(this.check(jobId)));
    // A failed try with tries left makes the run "delayed" (its back-off); the last one "failed".
    events.on("delayed", ({ jobId }) => void this.safely(this.check(jobId)));
    events.on("failed", ({ jobId }) => void this.safely(this.check(jobId)));
  }

  /** A worker's progress report: who took the run (the first time) and how far it is. */
  private progressed(jobId: string, data: unknown): void {
    const unit = this.outstanding.get(jobId);
    const d = data as QueuedProgress;
    if (!unit || this.stopped || !d || typeof d !== "object" || !isWorkerName(d.worker)) return;
    if (this.workerOf.get(jobId) !== d.worker) {
      this.workerOf.set(jobId, d.worker);
      this.seen(d.worker);
      this.emit({ type: "started", slot: jobId, unit, worker: d.worker });
    }
    if (isProgress(d.progress)) this.emit({ type: "progress", slot: jobId, unit, progress: d.progress });
  }

  /** Hands the unit's outcome on, and only then forgets the unit. */
  private settle(id: string, outcome: Trained, how: { worker: string | null; away: boolean }): void {
    const unit = this.outstanding.get(id);
    if (!unit || this.stopped) return;
    try {
      this.emit({ type: "trained", slot: id, unit, outcome, ...how });
    } catch (e) {
      throw new Undeliverable((e as Error).message);
    }
    this.outstanding.delete(id);
    if (this.outstanding.size === 0) this.done(false);
  }

  private collect(id: string, queued: BullJob<QueuedRun>, away: boolean): void {
    const r = readResult(queued.returnvalue);
    if (typeof r === "string") {
      this.settle(id, { type: "failed", error: r }, { worker: shownWorker(queued.processedBy), away });
      return;
    }
    this.settle(
      id,
      { type: "done", results: r.results, queue: { worker: r.worker, attempts: queued.attemptsMade } },
      { worker: r.worker, away },
    );
  }

  private async add(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.queue.addBulk(
      ids.map((id) => {
        const unit = this.outstanding.get(id) as Unit;
        return {
          name: "train",
          data: {
            protocol,
            // What a queue worker trains: the run and its jobs (it keeps no checkpoint).
            unit: { run: unit.run, jobs: unit.jobs },
            dataChecksum: this.opts.dataChecksum,
            backend: this.opts.backend ?? unit.run.backend,
          },
          opts: {
            jobId: id,
            attempts: this.opts.attempts,
            backoff: { type: "exponential", delay: 2000 },
            removeOnComplete: { age: keepSeconds },
            removeOnFail: { age: keepSeconds },
            // No worker's stack trace (its paths) is kept in Redis.
            stackTraceLimit: 0,
          },
        };
      }),
    );
  }

  /**
   * Looks at one run in Redis and acts: collect, record the failure, or wait. Says "missing" when
   * the run is not in Redis (never added, or removed by hand since) so the caller queues it.
   */
  private async check(id: string, first = false): Promise<"missing" | undefined> {
    const job = await this.queue.getJob(id);
    if (!this.outstanding.has(id) || this.stopped) return;
    if (!job) return "missing";
    const state = await job.getState();
    const tries = job.attemptsMade;
    if (state === "completed") this.collect(id, job, first);
    else if (state === "failed") await this.failed(id, job, first);
    else if (tries > (this.triesSeen.get(id) ?? 0) && job.failedReason) {
      // A try failed and BullMQ will try again after its back-off.
      this.triesSeen.set(id, tries);
      const worker = shownWorker(job.processedBy);
      this.requeue(
        id,
        `run ${id.slice(0, 12)}: try ${tries} of ${this.opts.attempts} failed${worker ? ` on ${worker}` : ""} (${this.reasonOf(job, "no reason")}); trying again`,
      );
    }
  }

  /** A run that failed for good: tried again when found so on start, else recorded as failed. */
  private async failed(id: string, job: BullJob<QueuedRun>, first: boolean): Promise<void> {
    if (first) {
      // A new `cnnp run` tries failed runs again, as it does locally.
      this.notice(
        `run ${id.slice(0, 12)} failed on the queue before (${this.reasonOf(job, "no reason")}); trying it again`,
      );
      await job.retry("failed");
      return;
    }
    const tries = job.attemptsMade;
    const worker = shownWorker(job.processedBy);
    const who = worker ? ` on ${worker}` : "";
    const said = this.reasonOf(job, "no reason given");
    // The last try's back end did not load on its worker: not a failure of training.
    const unavailable = said.startsWith(unavailableMark);
    const reason = unavailable ? said.slice(unavailableMark.length) : said;
    const error = `${reason} (${tries} ${tries === 1 ? "try" : "tries"}, the last${who})`;
    this.settle(
      id,
      { type: "failed", error, ...(unavailable ? { unavailable } : {}) },
      { worker, away: false },
    );
  }

  /** Checks every outstanding run, and queues in one go those Redis does not have. */
  private async checkAll(first = false): Promise<void> {
    const missing: string[] = [];
    for (const id of [...this.outstanding.keys()])
      if ((await this.check(id, first)) === "missing") missing.push(id);
    await this.add(missing);
  }

  /** A result the orchestrator could not take ends the run; anything else is the queue's trouble. */
  private safely(p: Promise<unknown>): Promise<unknown> {
    return p.catch((e) => (e instanceof Undeliverable ? this.fail(e) : this.onError(e)));
  }

  private requeue(jobId: string, why: string): void {
    const unit = this.outstanding.get(jobId);
    if (!unit || this.stopped) return;
    if (this.workerOf.has(jobId)) this.emit({ type: "requeued", slot: jobId, unit });
    this.workerOf.delete(jobId);
    this.notice(why);
  }

  private seen(name: string): void {
    if (this.known.has(name)) return;
    this.known.add(name);
    this.emit({ type: "workers", names: [...this.known] });
  }

  /** The workers connected now, by their names (BullMQ names each worker's Redis client). */
  private async lookForWorkers(): Promise<void> {
    const clients = await this.queue.getWorkers();
    for (const c of clients) {
      const raw = c.rawname ?? "";
      const at = raw.indexOf(":w:");
      const name = raw.slice(at + 3);
      if (at >= 0 && isWorkerName(name)) this.seen(name);
    }
  }

  private async poll(): Promise<void> {
    await this.safely(this.checkAll());
    await this.safely(this.lookForWorkers());
    if (!this.stopped) this.timer = setTimeout(() => void this.poll(), this.opts.pollMs ?? 5000);
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
