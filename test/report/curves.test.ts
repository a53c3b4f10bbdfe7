import { describe, expect, it } from "vitest";
import { curvesOf, lossTurnOf } from "../../src/report/curves.js";

/** One run's history: training loss `train[k]` and test loss `test[k]` (null: not tested) at epoch k + 1. */
function run(train: number[], test: (number | null)[]) {
  return {
    history: train.map((loss, k) => {
      const t = test[k] ?? null;
      return {
        epoch: k + 1,
        loss,
        accuracy: 0.9,
        val: null,
        test: t === null ? null : { loss: t, accuracy: 0.9, seconds: 1 },
        seconds: 1,
      };
    }),
  };
}

const train = [0.5, 0.4, 0.3, 0.2];

describe("the turn of the test loss", () => {
  it("pairs each repeat's test loss at the lowest mean epoch and the last one, and tests the rise", () => {
    // Rises of 1, 2, 3, 4 and 6 hundredths after epoch 2: t = 3.72 with 4 degrees of freedom.
    const rises = [0.01, 0.02, 0.03, 0.04, 0.06];
    const runs = rises.map((r) => run(train, [0.5, 0.3, null, 0.3 + r]));
    const curves = curvesOf(["long"], [runs]);
    const t = lossTurnOf(["long"], [runs], curves);
    expect(t).toMatchObject({ label: "long", tested: 3, bestEpoch: 2, lastEpoch: 4, n: 5 });
    expect(t?.lastLoss).toBeCloseTo(0.332, 10);
    expect(t?.trainAtLast).toBeCloseTo(0.2, 10);
    // t(0.99, 4) = 3.747 and t(0.9875, 4) = 3.495 bracket 3.72: the two-sided p lies in (0.02, 0.025).
    expect(t?.p).toBeGreaterThan(0.02);
    expect(t?.p).toBeLessThan(0.025);
  });

  it("finds no rise beyond the spread when the repeats move both ways", () => {
    // Experiment 7's five repeats of the final model, test loss at epochs 18 and 25: mean rise 0.0001.
    const at18 = [0.2924, 0.2784, 0.277, 0.2932, 0.2669];
    const at25 = [0.2883, 0.2804, 0.2801, 0.2775, 0.2823];
    const runs = at18.map((a, i) => run([0.5, 0.3, 0.2], [0.35, a, at25[i] as number]));
    const t = lossTurnOf(["final"], [runs], curvesOf(["final"], [runs]));
    expect(t?.lastLoss).toBeGreaterThan(t?.bestLoss ?? 1);
    expect(t?.p).toBeGreaterThan(0.9);
  });

  it("uses the longest configuration, and has no p when the lowest loss is the last", () => {
    const short = [run([0.5, 0.4], [0.5, 0.4])];
    const long = [run(train, [0.5, 0.4, 0.35, 0.3]), run(train, [0.5, 0.41, 0.34, 0.31])];
    const t = lossTurnOf(["short", "long"], [short, long], curvesOf(["short", "long"], [short, long]));
    expect(t).toMatchObject({ label: "long", bestEpoch: 4, lastEpoch: 4, p: null });
  });

  it("needs three tested epochs", () => {
    const runs = [run(train, [null, 0.4, null, 0.3])];
    expect(lossTurnOf(["a"], [runs], curvesOf(["a"], [runs]))).toBeNull();
  });
});
