import type { MetricColumn } from "../model/index.js";
import type { OkResult } from "../store/schema.js";

export { metricNames } from "../model/index.js";

/**
 * A finished job's value of each metric (validation ones only when there was validation data), as
 * the answers and the report read them.
 */
export function metricValues(r: OkResult): Partial<Record<MetricColumn, number>> {
  return {
    "time.total": r.time.train,
    "time.per_epoch": r.time.perEpoch,
    "time.per_sample": r.time.perSample,
    "test.loss": r.test.loss,
    "test.accuracy": r.test.accuracy,
    "train.loss": r.train.loss,
    "train.accuracy": r.train.accuracy,
    ...(r.val ? { "val.loss": r.val.loss, "val.accuracy": r.val.accuracy } : {}),
    epochs_trained: r.epochsTrained,
  };
}
