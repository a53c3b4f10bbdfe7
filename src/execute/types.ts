import type { Unit } from "../plan/types.js";
import type { SavedCheckpoint } from "../store/checkpoint.js";
import type { OkResult, ResultFile } from "../store/schema.js";
import type { JobResult } from "../train/job-results.js";
import type { Progress } from "../train/types.js";
import type { Holder } from "./claims.js";

/** The data a run read: where from, the checksum of its files, and whether they are the official ones. */
export interface DataInfo {
  dir: string;
  checksum: string;
  official: boolean;
}

/** How a unit's training ended, wherever it ran: its jobs' results, or why it failed. */
export type Trained =
  | {
      type: "done";
      results: JobResult[];
      /** Set when a queue worker trained it: the worker's name and the tries it took. */
      queue?: { worker: string; attempts: number };
      /** The run's state after its last epoch, when the unit asked to keep it. */
      checkpoint?: SavedCheckpoint;
    }
  | { type: "failed"; error: string; unavailable?: true };

/**
 * What an executor reports as it goes. `slot` names where a unit trains: a local worker process
 * ("1", "2", ...) or a queued run's id. Every event is delivered synchronously.
 */
export type ExecEvent =
  | { type: "notice"; text: string }
  /** A unit started (again) on a slot; `worker` names the queue worker that took it. */
  | { type: "started"; slot: string; unit: Unit; worker?: string }
  | { type: "progress"; slot: string; unit: Unit; progress: Progress }
  /** A unit's training ended; `away` when it ended while no coordinator was running. */
  | { type: "trained"; slot: string; unit: Unit; outcome: Trained; worker: string | null; away: boolean }
  /** The unit went back to a queue: its steps so far will be trained again. */
  | { type: "requeued"; slot: string; unit: Unit }
  /** The queue workers seen, when that changes. */
  | { type: "workers"; names: string[] }
  /** Jobs of a unit that another cnnp run finished while this one waited. */
  | { type: "elsewhere"; unit: Unit; files: OkResult[] }
  /** Units another live cnnp run holds, which this one waits for. */
  | { type: "waiting"; held: { unit: Unit; holder: Holder }[] };

/** What the orchestrator reports: an executor's events, with each "trained" turned into the files written. */
export type RunEvent =
  | Exclude<ExecEvent, { type: "trained" }>
  | { type: "finished"; slot: string; unit: Unit; files: ResultFile[]; worker: string | null; away: boolean };

/**
 * Where units are trained: the local pool of worker processes or a BullMQ queue. `run` resolves when
 * every unit has been reported as trained (or finished elsewhere), or when `signal` aborts
 * (`interrupted`). It writes no result files: the orchestrator does, when `trained` arrives.
 */
export interface Executor {
  run(units: Unit[], emit: (e: ExecEvent) => void, signal: AbortSignal): Promise<{ interrupted: boolean }>;
}
