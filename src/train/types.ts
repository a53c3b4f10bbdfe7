/** Metrics of one pass over a set of images. */
export interface Evaluation {
  loss: number;
  accuracy: number;
  seconds: number;
}

/** A test-set evaluation, with what the model got right and wrong class by class. */
export interface TestEvaluation extends Evaluation {
  /** `confusion[t][p]`: test images of true class t predicted as class p. */
  confusion: number[][];
}

/** One epoch of training, as Keras' History records it, plus timings. */
export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  /** Mean over the epoch's batches, weighted by batch size, as Keras reports it. */
  loss: number;
  accuracy: number;
  val: Evaluation | null;
  /** Test-set evaluation after this epoch, when the plan asks for it. */
  test: TestEvaluation | null;
  /** Training time of the epoch (batches, gradient steps), without evaluation. */
  seconds: number;
}

/** An epoch as a job's result keeps it: its test evaluation without the confusion matrix. */
export type HistoryRecord = Omit<EpochRecord, "test"> & { test: Evaluation | null };

export interface TrainOutcome {
  epochs: EpochRecord[];
  /** The epoch after which early stopping ended training, or null when it did not. */
  stoppedEpoch: number | null;
  /** The weights after each epoch `saveAt` asked for (and the last), kernels and biases in layer order. */
  weights: Map<number, Float32Array[]>;
  trainSamples: number;
  valSamples: number;
  testSamples: number;
  /**
   * How the training steps were run: by a back end's whole step (named by it, e.g. "native step",
   * with the seconds it spent in each phase and the slices of a batch it trained at once, a thread
   * each), or kernel by kernel through TensorFlow.js ("tfjs", one slice).
   */
  steps: {
    engine: string;
    seconds: number;
    phases: Record<string, number> | null;
    slices: number;
  };
  /** The run's state after its last epoch, when the request asked to keep it (`keep`). */
  checkpoint?: Checkpoint;
}

export interface Progress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
}

/**
 * What a run keeps after its last epoch so that a later `cnnp run` continues it instead of
 * training it again (successive halving's candidates go on from one rung to the next): every
 * weight, the optimizer's state, where each random stream stands, the shuffled order the next
 * shuffle starts from, and the epochs' records so far. Continuing from it gives what training
 * straight through gives.
 */
export interface Checkpoint {
  /** Epochs trained. */
  epoch: number;
  records: EpochRecord[];
  /** Every weight in the network's order (`Network.weights`). */
  weights: Float32Array[];
  /** The optimizer's slots (momentum's velocity; Adam's two moments), each an array per trained variable. */
  slots: Float32Array[][];
  /** Optimizer steps taken. */
  steps: number;
  /** The shuffle and dropout streams' states, and the augment stream's (null without augment). */
  shuffle: number[];
  dropout: number[];
  augment: number[] | null;
  /** The order the last epoch trained in: the next epoch's shuffle starts from it. */
  order: Int32Array;
  /** Training seconds so far (the run's step time). */
  stepSeconds: number;
}
