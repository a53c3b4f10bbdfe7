import type { Run } from "../plan/types.js";
import { batchesPerEpoch, trainSplit } from "../train/split.js";

/** Training steps (batches) a run is planned to take, given how many training images there are. */
export function plannedBatches(run: Run, trainCount: number): number {
  const { splitAt } = trainSplit(run.data, run.training, trainCount);
  return run.epochs * batchesPerEpoch(splitAt, run.training);
}
