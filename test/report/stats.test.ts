import { describe, expect, it } from "vitest";
import {
  compare,
  detectable,
  holm,
  repeatsToDetect,
  summarize,
  varianceP,
} from "../../src/report/stats/index.js";

// Student's sleep data (R's `sleep`): the classic two-sample example.
const x = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const y = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

describe("statistics", () => {
  it("summarises: n, mean, sample sd, min, max and the t-based 95% interval", () => {
    // By hand: mean 2.5; sd = sqrt(((1.5)^2 + (0.5)^2 + (0.5)^2 + (1.5)^2) / 3) = sqrt(5/3) = 1.290994;
    // half-width = t(0.975, 3) * sd / sqrt(4) = 3.182446 * 1.290994 / 2 = 2.054260.
    const s = summarize([1, 2, 3, 4]);
    expect(s?.n).toBe(4);
    expect(s?.mean).toBe(2.5);
    expect(s?.sd).toBeCloseTo(1.290994, 6);
    expect(s?.min).toBe(1);
    expect(s?.max).toBe(4);
    expect(s?.ci95?.[0]).toBeCloseTo(2.5 - 2.05426, 5);
    expect(s?.ci95?.[1]).toBeCloseTo(2.5 + 2.05426, 5);
  });

  it("gives n = 1 no spread and no interval, and nothing for no runs", () => {
    expect(summarize([0.8])).toEqual({ n: 1, mean: 0.8, sd: 0, min: 0.8, max: 0.8, ci95: null });
    expect(summarize([])).toBeNull();
  });

  it("runs Welch's t-test and Hedges' g against the baseline", () => {
    // By hand: t = (0.75 - 2.33) / sqrt(1.789010^2/10 + 2.002249^2/10) = -1.8608 on 17.776 df;
    // two-sided p = 0.07939 (R: t.test(extra ~ group, sleep)). Pooled sd = sqrt((1.789010^2 +
    // 2.002249^2) / 2) = 1.898627; d = -1.58 / 1.898627 = -0.832181; g = d * (1 - 3/71) = -0.797019.
    const c = compare(x, y);
    expect(c.difference).toBeCloseTo(-1.58, 10);
    expect(c.p).toBeCloseTo(0.07939, 4);
    expect(c.effect).toBeCloseTo(-0.797019, 5);
    expect(c.significant).toBe(false);
    expect(compare(x, y, 0.1).significant).toBe(true);
  });

  it("says that no test is possible with one run", () => {
    const c = compare([0.81], [0.79, 0.8]);
    expect(c.p).toBeNull();
    expect(c.significant).toBe(false);
    expect(c.untestable).toBe("n = 1: no test is possible");
    expect(c.difference).toBeCloseTo(0.015, 10);
  });

  it("tests equal variances with the F-test", () => {
    // By hand: variances 3087.5/5 = 617.5 and 2187.5/7 = 312.5, F = 1.976 on (5, 7) df; two-sided
    // p = 0.399 (R: var.test).
    expect(varianceP([610, 610, 550, 590, 565, 570], [560, 550, 580, 550, 560, 590, 550, 590])).toBeCloseTo(
      0.399,
      3,
    );
    expect(varianceP([1], [1, 2])).toBeNull();
  });

  it("adjusts several p-values against one baseline by Holm's step-down rule", () => {
    // Sorted 0.01, 0.03, 0.04: 3 * 0.01 = 0.03; 2 * 0.03 = 0.06; 1 * 0.04 = 0.04, kept at 0.06.
    const adjusted = holm([0.01, 0.04, 0.03, null]);
    expect(adjusted[0]).toBeCloseTo(0.03, 10);
    expect(adjusted[1]).toBeCloseTo(0.06, 10);
    expect(adjusted[2]).toBeCloseTo(0.06, 10);
    expect(adjusted[3]).toBeNull();
    // 2 * 0.6 caps at 1, and 0.7 is kept at 1 (adjusted p-values never fall).
    expect(holm([0.6, 0.7])).toEqual([1, 1]);
  });

  it("gives the smallest difference n runs detect at 80% power, and the runs a difference needs", () => {
    // sd 1, n 10, df 18: (t(0.975, 18) + t(0.8, 18)) * sqrt(2 / 10) = (2.100922 + 0.862035) * 0.447214.
    expect(detectable(1, 10)).toBeCloseTo(1.32508, 4);
    expect(detectable(1, 1)).toBeNull();
    expect(repeatsToDetect(1.3251, 1)).toBe(10);
    expect(repeatsToDetect(1.3, 1)).toBe(11);
  });
});
