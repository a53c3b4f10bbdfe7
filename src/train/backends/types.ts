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
  step(
    images: Uint8Array,
    labels: Uint8Array,
    items: Int32Array,
    dropout: Uint32Array,
  ): { loss: number; correct: number };
  /** Logits [n, classes] of images first..first+n. */
  infer(images: Uint8Array, first: number, n: number): Float32Array;
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
   * null to train kernel by kernel through TensorFlow.js' gradients.
   */
  wholeStep?(model: ModelSpec, training: TrainingSpec, weights: Variable[]): WholeStep | null;
}
