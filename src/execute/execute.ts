import type { Unit } from "../plan/types.js";
import type { ResultStore } from "../store/store.js";
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
export function execute(units: Unit[], opts: ExecuteOptions): Promise<{ interrupted: boolean }> {
  return opts.executor.run(
    units,
    (e) => {
      if (e.type !== "trained") return opts.onEvent(e);
      const files = writeResults(opts.store, resultFiles(e.unit, e.outcome, opts), e.outcome);
      opts.onEvent({ type: "finished", slot: e.slot, unit: e.unit, files, worker: e.worker, away: e.away });
    },
    opts.signal,
  );
}
