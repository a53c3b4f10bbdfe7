import type { OkResult } from "../store/schema.js";
import type { MetricKey } from "./schema.js";

/** A finished job's value of each metric (validation ones only when there was validation data). */
export function metricValues(r: OkResult): Partial<Record<MetricKey, number>> {
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
