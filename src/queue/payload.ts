import type { Backend } from "../model/index.js";
import { contentHash } from "../plan/hash.js";
import type { Unit } from "../plan/types.js";
import { isPrintable } from "../store/printable.js";
import type { JobResult } from "../train/job-results.js";
import type { Progress } from "../train/types.js";

/** The one BullMQ queue cnnp uses; its jobs are training runs named by content hash. */
export const queueName = "cnnp-runs";

/** Bumped when what the coordinator and the workers exchange changes shape. */
export const protocol = 1;

/**
 * How a worker's failure reason (BullMQ keeps only a string) says the run's back end did not load
 * on that worker: the coordinator records such a run as not available, not as failed.
 */
export const unavailableMark = "back end not available on this worker: ";

/** A queued training run: everything a worker on any machine needs besides the data itself. */
export interface QueuedRun {
  protocol: number;
  unit: Unit;
  /** The checksum of the coordinator's data: a worker with other data refuses the run. */
  dataChecksum: string;
  backend: Backend;
}

/** What a worker sends while training (BullMQ job progress). */
export interface QueuedProgress {
  worker: string;
  progress: Progress | null;
}

/** What a worker returns for a run (BullMQ job return value). */
export interface QueuedResult {
  protocol: number;
  worker: string;
  results: JobResult[];
}

/**
 * The queue's job id for a unit: the content hash of the run as trained (its identity, epochs and
 * evaluation points) and of the jobs cut from it. Enqueueing the same unit twice adds nothing, and
 * a unit with other jobs or epochs is another queue job.
 */
export function queueJobId(unit: Unit): string {
  return contentHash(
    {
      run: unit.run.id,
      epochs: unit.run.epochs,
      evaluateAt: unit.run.evaluateAt,
      jobs: unit.jobs.map((j) => j.id).sort(),
    },
    32,
  );
}

/** The result a worker returned, if it has the shape this cnnp expects. */
export function readResult(value: unknown): QueuedResult | string {
  const v = (typeof value === "string" ? safeJson(value) : value) as Partial<QueuedResult> | undefined;
  if (!v || typeof v !== "object") return "the worker returned no result";
  if (v.protocol !== protocol)
    return `the worker speaks queue protocol ${String(v.protocol)}, this cnnp ${protocol}: run the same cnnp version everywhere`;
  if (!Array.isArray(v.results) || typeof v.worker !== "string") return "the worker's result is malformed";
  if (!isWorkerName(v.worker)) return "the worker's result is malformed (its name is not a worker's)";
  return v as QueuedResult;
}

/** A worker's name as it may be shown and kept: `HOST:PID`, printable, not too long. */
export function isWorkerName(name: unknown): name is string {
  return typeof name === "string" && name.length > 0 && name.length <= 300 && isPrintable(name);
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
