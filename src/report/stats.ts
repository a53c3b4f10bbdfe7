import { createRequire } from "node:module";
import { mean, sqrt, std } from "mathjs";
import type { Comparison, Summary } from "./schema.js";

// stdlib's packages are CommonJS with `export =` typings.
const require = createRequire(import.meta.url);
const ttest2 = require("@stdlib/stats-ttest2") as typeof import("@stdlib/stats-ttest2");
const tQuantile =
  require("@stdlib/stats-base-dists-t-quantile") as typeof import("@stdlib/stats-base-dists-t-quantile");

/** n, mean, sd, min, max and the 95% confidence interval of `xs`; null when there are none. */
export function summarize(xs: number[]): Summary | null {
  if (xs.length === 0) return null;
  const n = xs.length;
  const m = mean(xs) as number;
  const sd = n > 1 ? (std(xs, "unbiased") as unknown as number) : 0;
  const half = n > 1 ? tQuantile(0.975, n - 1) * (sd / (sqrt(n) as number)) : null;
  return {
    n,
    mean: m,
    sd,
    min: Math.min(...xs),
    max: Math.max(...xs),
    ci95: half === null ? null : [m - half, m + half],
  };
}

/** Welch's t-test and Hedges' g of `x` against `base`, at level `alpha`. */
export function compare(x: number[], base: number[], alpha = 0.05): Comparison {
  const a = summarize(x);
  const b = summarize(base);
  if (!a || !b) return { difference: null, p: null, effect: null, significant: false, untestable: "no runs" };
  const difference = a.mean - b.mean;
  if (a.n < 2 || b.n < 2)
    return {
      difference,
      p: null,
      effect: null,
      significant: false,
      untestable: `n = ${Math.min(a.n, b.n)}: no test is possible`,
    };
  if (a.sd === 0 && b.sd === 0) {
    // No spread on either side (e.g. a deterministic metric): the means differ or they do not.
    return {
      difference,
      p: difference === 0 ? 1 : 0,
      effect: null,
      significant: difference !== 0,
      untestable: null,
    };
  }
  const p = ttest2(x, base, { alpha }).pValue;
  const pooled = Math.sqrt(((a.n - 1) * a.sd ** 2 + (b.n - 1) * b.sd ** 2) / (a.n + b.n - 2));
  const correction = 1 - 3 / (4 * (a.n + b.n) - 9);
  const effect = pooled > 0 ? (difference / pooled) * correction : null;
  return { difference, p, effect, significant: p < alpha, untestable: null };
}

const vartest = require("@stdlib/stats-vartest") as typeof import("@stdlib/stats-vartest");

/** The F-test of equal variances (two-sided); null when either side has fewer than 2 runs or no spread. */
export function varianceP(x: number[], y: number[]): number | null {
  const a = summarize(x);
  const b = summarize(y);
  if (!a || !b || a.n < 2 || b.n < 2 || a.sd === 0 || b.sd === 0) return null;
  return vartest(x, y).pValue;
}
