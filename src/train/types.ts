import type { Checkpoint } from "../store/checkpoint.js";

export type { Checkpoint };

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
