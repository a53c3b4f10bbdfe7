import type { SummaryRow } from "../layers/summary.js";
import type {
  Backend,
  CheckedExperiment,
  DataSpec,
  LayerSpec,
  ModelSpec,
  TrainingSpec,
} from "../model/index.js";

/** One training and evaluation of one configuration with one seed. */
export interface Job {
  /** Content hash of everything that determines the result: same id, same numbers. */
  id: string;
  /** The shared training run that serves this job. */
  run: string;
  experiment: number;
  configuration: number;
  /** 0-based repeat index. */
  repeat: number;
  seed: number;
  /** Key into `Plan.models`. */
  model: string;
  epochs: number;
}

/**
 * One training run: jobs that differ only in their epoch count are served by training once to the
 * largest count and evaluating at each job's count.
 */
export interface Run {
  id: string;
  model: ModelSpec;
  modelKey: string;
  training: TrainingSpec;
  data: DataSpec;
  backend: Backend;
  seed: number;
  /** Epochs to train: the largest of its jobs'. */
  epochs: number;
  /** Epochs after which the test set is evaluated, ascending. */
  evaluateAt: number[];
  jobs: string[];
}

export interface PlannedModel {
  key: string;
  name: string;
  /** Other names the same network goes by in this pipeline. */
  aliases: string[];
  layers: (SummaryRow & { spec: LayerSpec })[];
  totalParams: number;
}

export interface PlannedExperiment extends CheckedExperiment {
  /** The jobs of the configurations that can be trained (not waiting for another's answer). */
  jobs: Job[];
  /** Configurations waiting for another experiment's answer, and the jobs they will have. */
  waiting: { configurations: number; jobs: number };
  /** Epochs trained if every job trained alone, and with shared runs. */
  epochs: { naive: number; planned: number };
}

export interface Plan {
  file: string;
  experiments: PlannedExperiment[];
  models: PlannedModel[];
  runs: Run[];
  /**
   * Runs that jobs still waiting for an answer will share (the answer being only their epoch
   * count): trained once the answer is known, with those jobs, rather than twice.
   */
  deferred: { run: string; waiting: number[] }[];
  totals: {
    configurations: number;
    jobs: number;
    uniqueJobs: number;
    /** Jobs of configurations still waiting for another experiment's answer (not in `jobs`). */
    waitingJobs: number;
    runs: number;
    epochsNaive: number;
    epochsPlanned: number;
  };
}

/**
 * One training run and the jobs it is to serve: what a worker trains in one go. The run may be cut
 * to fewer epochs than planned (the most its jobs need); every job's epochs are at most the run's.
 */
export interface Unit {
  run: Run;
  jobs: Job[];
  /** Keep the run's checkpoint after its last epoch: a later unit continues it (halving's candidates). */
  keep?: boolean;
}
