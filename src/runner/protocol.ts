import type { Run, Unit } from "../plan/types.js";
import type { SavedCheckpoint } from "../store/checkpoint.js";
import type { JobResult } from "../train/job-results.js";
import type { Progress } from "../train/types.js";

export type { Unit };

/** Parent to worker. */
export type ToWorker =
  | {
      type: "train";
      unit: Unit;
      /** Where the parent read the data, and what it found there: the worker must see the same. */
      data: { dir: string; checksum: string };
      backend: Run["backend"];
      /** The run's checkpoint after fewer epochs, to continue from. */
      resume?: SavedCheckpoint;
    }
  | { type: "exit" };

/** Worker to parent. */
export type FromWorker =
  | { type: "ready" }
  | { type: "notice"; text: string }
  | { type: "progress"; run: string; progress: Progress }
  | { type: "done"; run: string; results: JobResult[]; checkpoint?: SavedCheckpoint }
  /** `unavailable`: its back end does not load here (not a failure of training). */
  | { type: "failed"; run: string; error: string; unavailable?: true };
