import { describe, expect, it } from "vitest";
import * as statistics from "../../src/report/stats/index.js";

// Student's sleep data (R's `sleep`): the classic two-sample and paired example.
const x = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const y = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
// Its groups' summaries: mean 0.75 and 2.33, sd 1.789010 and 2.002249, n 10 each.
const sx = { mean: 0.75, sd: 1.78901, n: 10 };
const sy = { mean: 2.33, sd: 2.002249, n: 10 };

type Name = keyof typeof statistics;

/** A textbook value of every statistic the registry exports, worked out by hand or in R. */
const textbook: Record<Name, () => void> = {
  summarize: () => {
    // mean 2.5, sd sqrt(5/3) = 1.290994, t(0.975, 3) = 3.182446: 2.5 ± 2.054260.
    const s = statistics.summarize([1, 2, 3, 4]);
    expect(s?.sd).toBeCloseTo(1.290994, 6);
    expect(s?.ci95?.[1]).toBeCloseTo(2.5 + 2.05426, 5);
  },
  meanHalfWidth: () => {
    expect(statistics.meanHalfWidth(Math.sqrt(5 / 3), 4)).toBeCloseTo(2.05426, 5);
    expect(statistics.meanHalfWidth(1, 1)).toBeNull();
  },
  repeatsToExclude: () => {
    // sd 1: t(0.975, 5) / sqrt(6) = 2.570582 / 2.449490 = 1.0494; t(0.975, 6) / sqrt(7) = 0.9248.
    expect(statistics.repeatsToExclude(1, 1)).toBe(7);
  },
  welchP: () => {
    // R: t.test(extra ~ group, sleep): t = -1.8608, df = 17.776, p = 0.07939.
    expect(statistics.welchP(x, y)).toBeCloseTo(0.07939, 4);
  },
  welchFromSummaries: () => {
    expect(statistics.welchFromSummaries(sx, sy)).toBeCloseTo(0.07939, 4);
  },
  hedgesG: () => {
    // Pooled sd 1.898627; d = -1.58 / 1.898627 = -0.832181; g = d * (1 - 3/71) = -0.797019.
    expect(statistics.hedgesG(sx, sy)).toBeCloseTo(-0.797019, 5);
  },
  compare: () => {
    const c = statistics.compare(x, y);
    expect(c.p).toBeCloseTo(0.07939, 4);
    expect(c.effect).toBeCloseTo(-0.797019, 5);
  },
  pairedP: () => {
    // R: t.test(sleep$extra[11:20], sleep$extra[1:10], paired = TRUE): t = 4.0621, df = 9, p = 0.002833.
    expect(statistics.pairedP(x, y)).toBeCloseTo(0.002833, 6);
  },
  pooledSd: () => {
    // R: var() of the groups is 3.200556 and 4.009000; sqrt((9 * 3.200556 + 9 * 4.009) / 18) = 1.898625.
    expect(statistics.pooledSd([x, y])).toBeCloseTo(1.898625, 6);
  },
  predictionInterval: () => {
    // 2.5 ± t(0.975, 3) * sqrt(5/3) * sqrt(1 + 1/4) = 2.5 ± 3.182446 * 1.290994 * 1.118034 = 2.5 ± 4.593466.
    const p = statistics.predictionInterval(2.5, Math.sqrt(5 / 3), 4);
    expect(p?.[0]).toBeCloseTo(2.5 - 4.593466, 5);
    expect(p?.[1]).toBeCloseTo(2.5 + 4.593466, 5);
  },
  varianceP: () => {
    // R: var.test: F = 617.5 / 312.5 = 1.976 on (5, 7) df, two-sided p = 0.399.
    expect(
      statistics.varianceP([610, 610, 550, 590, 565, 570], [560, 550, 580, 550, 560, 590, 550, 590]),
    ).toBeCloseTo(0.399, 3);
  },
  holm: () => {
    // R: p.adjust(c(0.01, 0.04, 0.03), "holm") = 0.03 0.06 0.06.
    const adjusted = statistics.holm([0.01, 0.04, 0.03]);
    expect(adjusted[0]).toBeCloseTo(0.03, 10);
    expect(adjusted[1]).toBeCloseTo(0.06, 10);
    expect(adjusted[2]).toBeCloseTo(0.06, 10);
  },
  detectable: () => {
    // (t(0.975, 18) + t(0.8, 18)) * sqrt(2 / 10) = (2.100922 + 0.862035) * 0.447214 = 1.32508.
    expect(statistics.detectable(1, 10)).toBeCloseTo(1.32508, 4);
  },
  repeatsToDetect: () => {
    expect(statistics.repeatsToDetect(1.3251, 1)).toBe(10);
  },
};

describe("the statistics registry", () => {
  it("has a textbook case for every statistic it exports, and no case for one it does not", () => {
    expect(Object.keys(statistics).sort()).toEqual(Object.keys(textbook).sort());
  });

  it.each(Object.entries(textbook))("%s agrees with its textbook value", (_, check) => check());
});
