import { describe, expect, it } from "vitest";
import { metricColumns, metricNames } from "../../src/model/index.js";
import { metricValues } from "../../src/run/metrics.js";
import type { OkResult } from "../../src/store/schema.js";

const result = (val: OkResult["val"]) =>
  ({
    time: { train: 12.5, perEpoch: 2.5, perSample: 0.0004 },
    test: { loss: 0.4, accuracy: 0.86, seconds: 0.2 },
    train: { loss: 0.3, accuracy: 0.9 },
    val,
    epochsTrained: 5,
  }) as OkResult;

describe("the metrics the answers and the report read", () => {
  it("name every column of the one metric list", () => {
    expect(Object.keys(metricNames).sort()).toEqual([...metricColumns].sort());
    expect(metricNames.epochs_trained).toBe("epochs trained");
  });

  it("are each finished job's values, the validation ones only with validation data", () => {
    expect(metricValues(result({ loss: 0.5, accuracy: 0.8, seconds: 0.1 }))).toEqual({
      "time.total": 12.5,
      "time.per_epoch": 2.5,
      "time.per_sample": 0.0004,
      "test.loss": 0.4,
      "test.accuracy": 0.86,
      "train.loss": 0.3,
      "train.accuracy": 0.9,
      "val.loss": 0.5,
      "val.accuracy": 0.8,
      epochs_trained: 5,
    });
    expect(metricValues(result(null))["val.loss"]).toBeUndefined();
  });
});
