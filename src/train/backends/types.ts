import type { BackendName, ModelSpec, TrainingSpec } from "../../model/index.js";
import type { Variable } from "../tf.js";

/** What ran a job: recorded in every result. */
export interface BackendInfo {
  /** cnnp's name: wasm, cpu, native, tensorflow, tensorflow-gpu. */
  name: BackendName;
  /** TensorFlow.js' name of the back end. */
  tfjsBackend: string;
  versions: Record<string, string>;
  /** e.g. "SIMD, 1 thread, cnnp training kernels". */
  detail: string;
}

/** A back end that cannot be used here, with a one-line reason and what to do. */
export class BackendUnavailable extends Error {}

export interface LoadOptions {
  /** The wasm back end's kernels: cnnp's training kernels, or TensorFlow.js' own (for benchmarks). */
  kernels?: "fast" | "stock";
  /** Loading for `auto`: a back end that would be a poor choice here (a software GPU) refuses. */
  auto?: boolean;
  /** The job it is for, when known: `auto` skips a back end that cannot train its model. */
  job?: { model: ModelSpec; training: TrainingSpec };
}

/** One epoch for a back end that trains a whole epoch per call (its steps on a device). */
export interface EpochRun {
  images: Uint8Array;
  labels: Uint8Array;
  /** The epoch's order of the first `count` items. */
  order: Int32Array;
  count: number;
  /** With an augment layer: three draws per position of the order (flip 0 or 1, dx, dy), from the job's augment stream. */
  draws?: Int32Array<ArrayBuffer>;
  batchSize: number;
  /** Called as batches are sent, with how many are. */
  onBatch?: (sent: number) => void;
}

/** An epoch's summed loss over its images, its hits, and the first batch whose loss was not finite. */
export interface EpochSums {
  lossSum: number;
  correct: number;
  nonFinite: number | null;
}

/**
 * A back end's own training step: forward, loss, backward and update of a whole batch in one call
 * on the network's variables, without TensorFlow.js' engine in between.
 */
export interface WholeStep {
  /** How results name it (`steps.engine`). */
  readonly engine: string;
  /** How many slices of a batch a step trains at once, a thread each. */
  readonly slices: number;
  /** Trains on the items (indices into images/labels); returns the batch's mean loss and hits. */
  step?(
    images: Uint8Array,
    labels: Uint8Array,
    items: Int32Array,
    dropout: Uint32Array,
  ): { loss: number; correct: number };
  /**
   * A whole epoch in one call, where the back end keeps its steps on a device and reads back
   * once per epoch (used instead of `step`; without augment, which it refuses).
   */
  epoch?(run: EpochRun): Promise<EpochSums>;
  /** Logits [n, classes] of images first..first+n. */
  infer(images: Uint8Array, first: number, n: number): Float32Array | Promise<Float32Array>;
  /** Brings the back end's weights into the network's variables, where it keeps its own copy. */
  sync?(): Promise<void>;
  /**
   * The optimizer's slots (momentum's velocity; Adam's two moments), each an array per trained
   * variable, for a run that continues later; with `restoreOptimizer`, which puts them back
   * with the steps taken so far.
   */
  optimizerSlots?(): Promise<Float32Array[][]>;
  restoreOptimizer?(slots: Float32Array[][], steps: number): void;
  /** Seconds the steps so far spent in each phase, by phase name. */
  profile(): Record<string, number>;
  dispose(): void;
}

/** One back end, behind the interface every stage uses: the fit loop never names one. */
export interface Backend {
  name: BackendName;
  /** Loads and activates it in TensorFlow.js, or throws BackendUnavailable with a one-line reason. */
  load(opts: LoadOptions): Promise<BackendInfo>;
  /**
   * Its whole training step for this model and training, when it has one that covers them;
   * null to train kernel by kernel through TensorFlow.js' gradients. A back end that cannot train
   * kernel by kernel throws, with why, instead.
   */
  wholeStep?(model: ModelSpec, training: TrainingSpec, weights: Variable[], seed: number): WholeStep | null;
}
