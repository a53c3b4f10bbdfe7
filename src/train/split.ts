import type { DataSpec, TrainingSpec } from "../model/index.js";

// Kept apart from fit.ts so that the runner's parent process can count steps without loading
// TensorFlow.js.

/**
 * The training images a run reads (the first `data.train` there are) and where Keras'
 * validation_split cuts them: images before `splitAt` train, the rest validate.
 */
export function trainSplit(d: DataSpec, t: TrainingSpec, trainCount: number) {
  const nTrainAll = Math.min(d.train, trainCount);
  return { nTrainAll, splitAt: Math.floor(nTrainAll * (1 - t.validationSplit)) };
}

export function batchesPerEpoch(trainImages: number, t: TrainingSpec): number {
  return Math.ceil(trainImages / t.batchSize);
}
