import type { OkResult } from "../../src/store/schema.js";

/**
 * What must not depend on where or how a job trained (workers, queue, machine): every metric of
 * every epoch, not the timings.
 */
export const metrics = (r: OkResult) => ({
  job: r.job,
  test: { loss: r.test.loss, accuracy: r.test.accuracy },
  train: { loss: r.train.loss, accuracy: r.train.accuracy },
  history: r.history.map((e) => [
    e.epoch,
    e.loss,
    e.accuracy,
    e.test?.loss ?? null,
    e.test?.accuracy ?? null,
  ]),
});

/** The metrics of a set of results, in job order. */
export const byJob = (rs: OkResult[]) => rs.map(metrics).sort((a, b) => a.job.localeCompare(b.job));
