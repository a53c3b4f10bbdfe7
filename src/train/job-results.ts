import type { Job, Run } from "../plan/types.js";
import type { BackendInfo } from "./backends/index.js";
import type { Host } from "./environment.js";
import type { LayersArtifacts } from "./export.js";
import type { EpochRecord, Evaluation, HistoryRecord, TrainOutcome } from "./types.js";

/** What one job of the plan got: its epochs of the shared run, up to its own epoch count. */
export interface JobResult {
  job: string;
  run: string;
  experiment: number;
  configuration: number;
  repeat: number;
  seed: number;
  epochs: number;
  /** Epochs actually trained (fewer when early stopping ended the run). */
  epochsTrained: number;
  stoppedEpoch: number | null;
  /** Per epoch; the test evaluations without their confusion matrices (the last is in `test`). */
  history: HistoryRecord[];
  test: Evaluation & { confusion: number[][]; perClass: number[] };
  train: { loss: number; accuracy: number };
  val: Evaluation | null;
  time: {
    /** Training seconds up to this job's last epoch, evaluation excluded. */
    train: number;
    perEpoch: number;
    /** Training seconds per training sample per epoch. */
    perSample: number;
  };
  samples: { train: number; val: number; test: number };
  backend: BackendInfo;
  host: Host;
  /** The trained model at the job's epoch count, when the pipeline keeps weights. */
  weights?: LayersArtifacts;
}

/** The fields that say which job a result belongs to, shared by ok and failed results. */
export function jobIdentity(job: Job, run: Run) {
  return {
    job: job.id,
    run: run.id,
    experiment: job.experiment,
    configuration: job.configuration,
    repeat: job.repeat,
    seed: job.seed,
    epochs: job.epochs,
  };
}

/** Cuts a job's result out of its run's outcome. */
export function jobResult(
  job: Job,
  run: Run,
  outcome: TrainOutcome,
  backend: BackendInfo,
  h: Host,
): JobResult {
  const trained = outcome.epochs.length;
  const upTo = Math.min(job.epochs, trained);
  const epochs = outcome.epochs.slice(0, upTo);
  const last = epochs[epochs.length - 1] as EpochRecord;
  if (!last.test) throw new Error(`internal: run ${run.id} was not evaluated after epoch ${upTo}`);
  const history: HistoryRecord[] = epochs.map((e) => {
    if (!e.test) return { ...e, test: null };
    const { confusion: _, ...test } = e.test;
    return { ...e, test };
  });
  const { confusion } = last.test;
  const perClass = confusion.map((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n > 0 ? (row[c] ?? 0) / n : 0;
  });
  const train = history.reduce((s, e) => s + e.seconds, 0);
  return {
    ...jobIdentity(job, run),
    epochsTrained: upTo,
    stoppedEpoch:
      outcome.stoppedEpoch !== null && outcome.stoppedEpoch <= job.epochs ? outcome.stoppedEpoch : null,
    history,
    test: {
      loss: last.test.loss,
      accuracy: last.test.accuracy,
      seconds: last.test.seconds,
      confusion,
      perClass,
    },
    train: { loss: last.loss, accuracy: last.accuracy },
    val: last.val,
    time: { train, perEpoch: train / upTo, perSample: train / upTo / outcome.trainSamples },
    samples: { train: outcome.trainSamples, val: outcome.valSamples, test: outcome.testSamples },
    backend,
    host: h,
  };
}
