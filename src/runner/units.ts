import type { Run } from "../plan/types.js";

/** Training steps (batches) a run is planned to take, given how many training images there are. */
export function plannedBatches(run: Run, trainCount: number): number {
  const n = Math.min(run.data.train, trainCount);
  const fit = Math.floor(n * (1 - run.training.validationSplit));
  return run.epochs * Math.ceil(fit / run.training.batchSize);
}
