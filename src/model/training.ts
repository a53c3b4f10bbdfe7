export const saveWeightsValues = ["on", "off", "first"] as const;
export type SaveWeights = (typeof saveWeightsValues)[number];

export const optimizers = ["sgd", "adam", "rmsprop"] as const;
export type Optimizer = (typeof optimizers)[number];
/** Keras' default learning rate for each optimizer. */
export const defaultLearningRate: Record<Optimizer, number> = { sgd: 0.01, adam: 0.001, rmsprop: 0.001 };

export const monitors = ["loss", "val_loss", "accuracy", "val_accuracy"] as const;
export type Monitor = (typeof monitors)[number];

export interface EarlyStopping {
  monitor: Monitor;
  patience: number;
  minDelta: number;
}

/** How to train: Keras' `compile` and `fit` arguments. */
export interface TrainingSpec {
  epochs: number;
  batchSize: number;
  optimizer: Optimizer;
  learningRate: number;
  /** SGD momentum (0 = plain SGD, Keras' default). */
  momentum: number;
  shuffle: boolean;
  /** Keep each job's trained weights (TensorFlow.js layers format) beside its result: all, none, or the first repeat's. */
  saveWeights: SaveWeights;
  /** Fraction of the training slice held out, taken from its end before shuffling, as Keras does. */
  validationSplit: number;
  earlyStopping: EarlyStopping | null;
  /** Evaluate on the test set every N epochs (0: only at the epochs the plan asks for). */
  evaluateEvery: number;
}
