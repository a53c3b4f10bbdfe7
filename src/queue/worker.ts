import { homedir, hostname, tmpdir } from "node:os";
import { type Job as BullJob, UnrecoverableError, Worker } from "bullmq";
import type { Backend } from "../model/index.js";
import { Trainer } from "../runner/trainer.js";
import { printable } from "../store/printable.js";
import { outageReporter, probe } from "./connect.js";
import {
  protocol,
  type QueuedProgress,
  type QueuedResult,
  type QueuedRun,
  queueJobId,
  queueName,
  unavailableMark,
} from "./payload.js";
import type { QueueTarget } from "./url.js";
import { validateQueuedRun } from "./validate.js";

export interface WorkerOptions {
  target: QueueTarget;
  data: { dir: string; checksum: string; title: string };
  /** The back end for runs that leave it to the machine (`auto`). */
  backend: Backend;
  concurrency: number;
  /** Seconds a silent worker keeps its run before another worker takes it over. */
  stallSeconds: number;
  log(line: string): void;
}

/** A running worker: `finished` gives the exit code; `interrupt` is a Ctrl-C (twice: stop now). */
export interface RunningWorker {
  finished: Promise<number>;
  interrupt(): void;
}

/** How long a stopping worker waits for Redis once its runs in flight are over. */
const closeGraceMs = 3000;
/** How long a stopping worker with runs in flight waits for Redis to answer, to know it is there. */
const pingMs = 2000;

/** This worker's name in the queue, in results and in the coordinator's display. */
export const workerName = `${hostname()}:${process.pid}`;

/**
 * A reason as it may go into Redis, where anyone who can read the queue sees it: without this
 * machine's paths. The folders given (the data's, say), the working folder, the home folder and
 * the temporary folder become `<path>`, and so does anything else that looks like an absolute path
 * or a file URL. The worker's own log keeps the whole message.
 */
export function withoutPaths(text: string, folders: string[] = []): string {
  let out = text;
  const known = [...folders, process.cwd(), homedir(), tmpdir()]
    .filter((f) => f.length > 1)
    .sort((a, b) => b.length - a.length);
  for (const f of known) out = out.split(f).join("<path>");
  return out
    .replace(/file:\/\/[^\s'"`()<>,;:]+/g, "<path>")
    .replace(/(^|[\s'"`(=[,])~?\/[^\s'"`()<>,;:]+/g, "$1<path>")
    .replace(/<path>[^\s'"`()<>,;:]*/g, "<path>");
}

/**
 * An error as BullMQ stores it in Redis: the message without paths, and no stack trace (BullMQ
 * keeps `stack` in the job, and a stack names the files of this machine's cnnp).
 */
function forRedis(e: unknown, folders: string[]): Error {
  const message = withoutPaths(e instanceof Error ? e.message : String(e), folders);
  const out = e instanceof UnrecoverableError ? new UnrecoverableError(message) : new Error(message);
  out.stack = "";
  return out;
}

/**
 * `cnnp worker`: takes training runs off the queue, trains each on a training process of its own
 * (so the queue's lock is renewed while TensorFlow.js computes) and returns the results with this
 * machine's environment. Resolves with an exit code: 0 after a stop that let the runs in flight
 * finish, 130 after a forced one, 2 when this worker's data differ from a coordinator's.
 */
export async function serve(opts: WorkerOptions): Promise<RunningWorker> {
  return new QueueWorker(opts).start();
}

/** Whether Redis answers a PING within `ms`. */
async function answersWithin(target: QueueTarget, ms: number): Promise<boolean> {
  let late: NodeJS.Timeout | undefined;
  const ping = probe(target).then(
    () => true,
    () => false,
  );
  const ok = await Promise.race([
    ping,
    new Promise<boolean>((r) => {
      late = setTimeout(() => r(false), ms);
    }),
  ]);
  clearTimeout(late);
  return ok;
}

/**
 * A serving worker: BullMQ's worker, the training processes it trains on, the runs in flight, and
 * how it stops. BullMQ's close waits on Redis (to hand back the runs and quit its connections) and
 * can wait for ever when Redis is gone, so no stop awaits it unbounded: a first Ctrl-C waits for
 * the runs in flight, then gives close a few seconds; a second one stops at once.
 */
class QueueWorker {
  private readonly trainers: Trainer[] = [];
  private readonly worker: Worker<QueuedRun, QueuedResult>;
  private code = 0;
  /** Runs being trained now, and who waits for there to be none. */
  private inFlight = 0;
  private readonly waitingForIdle: (() => void)[] = [];
  private readonly over: Promise<void>;
  private stopped: () => void = () => {};
  private failed: (e: unknown) => void = () => {};
  private stopping = false;
  private forced = false;
  private signals = 0;

  constructor(private readonly opts: WorkerOptions) {
    this.worker = new Worker<QueuedRun, QueuedResult>(queueName, (job) => this.process(job), {
      connection: { ...opts.target.connection, maxRetriesPerRequest: null },
      name: workerName,
      concurrency: opts.concurrency,
      lockDuration: opts.stallSeconds * 1000,
      stalledInterval: opts.stallSeconds * 1000,
      // A run whose worker died is handed on twice before it is failed (a run that kills every
      // worker it lands on, by running out of memory, must end somewhere).
      maxStalledCount: 2,
      autorun: false,
    });
    this.worker.on("error", outageReporter(opts.target, opts.log));
    this.over = new Promise<void>((ok, fail) => {
      this.stopped = ok;
      this.failed = fail;
    });
  }

  /** Starts taking runs; the running worker's exit code and its Ctrl-C. */
  async start(): Promise<RunningWorker> {
    const { opts, worker } = this;
    await worker.waitUntilReady();
    // The main loop ends when the worker closes; it rejects only on a bug.
    worker.run().then(() => this.stop(false), this.failed);
    opts.log(
      `${workerName}: waiting for runs on ${opts.target.shown} (${opts.concurrency} at a time; back end for auto runs: ${opts.backend}; data checksum ${opts.data.checksum.slice(0, 12)}…). Ctrl-C stops`,
    );
    const finished = (async () => {
      await this.over;
      for (const t of this.trainers)
        if (this.forced) t.kill();
        else t.close();
      // Drops both Redis connections and their reconnect timers, whatever close got to.
      worker.disconnect().catch(() => {});
      return this.code;
    })();
    return { finished, interrupt: () => this.interrupt() };
  }

  /** A training process that is free, started when none is. */
  private idleTrainer(): Trainer {
    const free = this.trainers.find((t) => !t.busy && !t.exited);
    if (free) return free;
    const t: Trainer = new Trainer({
      what: "training process",
      notice: (text) => this.opts.log(text),
      exit: () => this.trainers.splice(this.trainers.indexOf(t), 1),
    });
    this.trainers.push(t);
    return t;
  }

  private whenIdle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => this.waitingForIdle.push(r));
  }

  /** BullMQ's processor: trains one run; what goes to Redis on failure has no paths. */
  private async process(job: BullJob<QueuedRun>): Promise<QueuedResult> {
    this.inFlight++;
    try {
      return await this.train(job);
    } catch (e) {
      throw forRedis(e, [this.opts.data.dir]);
    } finally {
      if (--this.inFlight === 0) for (const r of this.waitingForIdle.splice(0)) r();
    }
  }

  /**
   * The run a queued job holds, once it is one this worker may train: the same protocol, a run
   * `cnnp check` would pass, a queue id that is its content hash, and this worker's data (a
   * coordinator with other data stops the worker). Throws why not.
   */
  private accepted(job: BullJob<QueuedRun>, short: string): QueuedRun {
    const { opts } = this;
    const sent = job.data as unknown;
    const version =
      typeof sent === "object" && sent !== null ? (sent as { protocol?: unknown }).protocol : undefined;
    if (version !== protocol)
      throw new UnrecoverableError(
        `${workerName} speaks queue protocol ${protocol}, the run was queued with ${typeof version === "number" ? version : "none"}: run the same cnnp version on the coordinator and every worker`,
      );
    // Anyone who can write to the Redis can queue a run: nothing is trained that `cnnp check`
    // would not pass, and a refused run is not tried again.
    const checked = validateQueuedRun(sent);
    const refuse = (why: string) => {
      opts.log(`error: refused run ${short}: ${why}`);
      return new UnrecoverableError(`${workerName} refused run ${short}: ${why}`);
    };
    if (typeof checked === "string") throw refuse(`not a run this cnnp would queue (${checked})`);
    if (job.id !== queueJobId(checked.unit)) throw refuse("its queue id is not the content hash of the run");
    if (checked.dataChecksum !== opts.data.checksum) {
      const why = `${workerName} refused run ${short}: its ${opts.data.title} has checksum ${opts.data.checksum}, the coordinator's ${checked.dataChecksum}. Give every machine the same data set (--dataset NAME) and files (--data DIR)`;
      // The folder is named here, in this machine's log, and not in Redis.
      opts.log(
        `error: ${why.replace(`its ${opts.data.title} has`, `its ${opts.data.title} in ${opts.data.dir} has`)}; this worker stops`,
      );
      this.code = 2;
      setImmediate(() => this.stop(false));
      throw new Error(why);
    }
    return checked;
  }

  /** Trains an accepted run on a free training process, reporting its progress to the queue. */
  private async train(job: BullJob<QueuedRun>): Promise<QueuedResult> {
    const { opts } = this;
    const short = printable(job.id ?? "?", 64).slice(0, 12);
    const run = this.accepted(job, short);
    const { unit } = run;
    const backend = run.backend === "auto" ? opts.backend : run.backend;
    opts.log(
      `run ${short}: ${unit.run.model.name}, seed ${unit.run.seed}, ${unit.run.epochs} epoch${unit.run.epochs === 1 ? "" : "s"}, ${unit.jobs.length} job${unit.jobs.length === 1 ? "" : "s"} (try ${job.attemptsMade + 1})`,
    );
    const report = (progress: QueuedProgress["progress"]) =>
      job.updateProgress({ worker: workerName, progress } satisfies QueuedProgress as never).catch(() => {});
    await report(null);
    let last = 0;
    const started = performance.now();
    const m = await this.idleTrainer().train(unit, opts.data, backend, (p) => {
      const now = performance.now();
      if (now - last < 1000 && p.batch !== p.batches) return;
      last = now;
      void report(p);
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (m.type === "failed") {
      opts.log(
        `run ${short}: ${m.unavailable ? "not available here" : "failed"} after ${seconds} s: ${m.error}`,
      );
      throw new Error(m.unavailable ? `${unavailableMark}${m.error}` : m.error);
    }
    opts.log(`run ${short}: done in ${seconds} s`);
    return { protocol, worker: workerName, results: m.results };
  }

  /**
   * Takes no more runs, waits for the runs in flight, then gives close a few seconds. With Redis
   * away, the runs in flight are stopped at once: their results could not be handed in (the run
   * goes to another worker once Redis is back), and a stop must not wait minutes for them.
   */
  private async stopGently(): Promise<void> {
    const { opts } = this;
    // Resolves once the runs in flight are handed back and Redis let go.
    const closed = this.worker.close().catch(() => {});
    if (this.inFlight > 0 && !(await answersWithin(opts.target, pingMs)) && !this.forced) {
      opts.log(
        `the queue did not answer within ${pingMs / 1000} s: stopping the runs in flight now (each goes to another worker once Redis is back)`,
      );
      for (const t of this.trainers) t.kill();
    }
    await this.whenIdle();
    let late: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      closed.then(() => false),
      new Promise<boolean>((r) => {
        late = setTimeout(() => r(true), closeGraceMs);
      }),
    ]);
    clearTimeout(late);
    if (gaveUp && !this.forced)
      opts.log(
        `the queue did not answer within ${closeGraceMs / 1000} s; stopping without it (a run it did not hear back about goes to another worker)`,
      );
    this.stopped();
  }

  private stop(force: boolean): void {
    if (force) {
      this.forced = true;
      for (const t of this.trainers) t.kill();
      this.worker.close(true).catch(() => {});
      this.stopped();
    } else if (!this.stopping && !this.forced) {
      this.stopping = true;
      void this.stopGently();
    }
  }

  /** A Ctrl-C: the first stops gently, the second at once. */
  private interrupt(): void {
    this.signals++;
    if (this.signals === 1) {
      this.opts.log(
        "stopping: finishing the runs in flight and taking no more (press Ctrl-C again to stop now; those runs then go back to the queue)",
      );
      this.stop(false);
    } else {
      this.code = 130;
      this.stop(true);
    }
  }
}
