import type { Unit } from "../plan/types.js";
import type { ResultFile } from "../store/schema.js";
import type { ResultStore } from "../store/store.js";
import { type WriteError, writeErrorOf } from "../util/write-error.js";
import { type ResultContext, resultFiles, writeResults } from "./results.js";
import type { Executor, RunEvent } from "./types.js";

export interface ExecuteOptions extends ResultContext {
  store: ResultStore;
  executor: Executor;
  signal: AbortSignal;
  /** Every event, as it happens; a finished unit's files are written before it is reported. */
  onEvent(e: RunEvent): void;
}

/**
 * The one orchestrator: has the executor train the units and turns each trained unit into
 * validated result files in the store (see resultFiles), the same way for local and queued runs.
 */
export async function execute(units: Unit[], opts: ExecuteOptions): Promise<{ interrupted: boolean }> {
  // A result that cannot be written (a full disk, a folder made read-only) stops the run as a
  // Ctrl-C would, and is then thrown: nothing half-written is kept, and training on would be lost.
  const stop = new AbortController();
  const abort = () => stop.abort();
  opts.signal.addEventListener("abort", abort, { once: true });
  if (opts.signal.aborted) stop.abort();
  let refused: WriteError | undefined;
  try {
    const outcome = await opts.executor.run(
      units,
      (e) => {
        if (e.type !== "trained") return opts.onEvent(e);
        if (refused) return;
        let files: ResultFile[];
        try {
          files = writeResults(opts.store, resultFiles(e.unit, e.outcome, opts), e.outcome);
          if (e.outcome.type === "done" && e.outcome.checkpoint)
            opts.store.writeCheckpoint(e.outcome.checkpoint);
        } catch (err) {
          refused = writeErrorOf(opts.store.dir, err);
          if (!refused) throw err;
          stop.abort();
          return;
        }
        opts.onEvent({ type: "finished", slot: e.slot, unit: e.unit, files, worker: e.worker, away: e.away });
      },
      stop.signal,
    );
    if (refused) throw refused;
    return outcome;
  } finally {
    opts.signal.removeEventListener("abort", abort);
  }
}
