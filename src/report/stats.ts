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
  if (!a || !b)
    return {
      difference: null,
      p: null,
      pAdjusted: null,
      effect: null,
      significant: false,
      untestable: "no runs",
    };
  const difference = a.mean - b.mean;
  if (a.n < 2 || b.n < 2)
    return {
      difference,
      p: null,
      pAdjusted: null,
      effect: null,
      significant: false,
      untestable: `n = ${Math.min(a.n, b.n)}: no test is possible`,
    };
  if (a.sd === 0 && b.sd === 0) {
    // No spread on either side (e.g. a deterministic metric): the means differ or they do not.
    return {
      difference,
      p: difference === 0 ? 1 : 0,
      pAdjusted: difference === 0 ? 1 : 0,
      effect: null,
      significant: difference !== 0,
      untestable: null,
    };
  }
  const p = ttest2(x, base, { alpha }).pValue;
  const pooled = Math.sqrt(((a.n - 1) * a.sd ** 2 + (b.n - 1) * b.sd ** 2) / (a.n + b.n - 2));
  const correction = 1 - 3 / (4 * (a.n + b.n) - 9);
  const effect = pooled > 0 ? (difference / pooled) * correction : null;
  return { difference, p, pAdjusted: p, effect, significant: p < alpha, untestable: null };
}

const vartest = require("@stdlib/stats-vartest") as typeof import("@stdlib/stats-vartest");

/** The F-test of equal variances (two-sided); null when either side has fewer than 2 runs or no spread. */
export function varianceP(x: number[], y: number[]): number | null {
  const a = summarize(x);
  const b = summarize(y);
  if (!a || !b || a.n < 2 || b.n < 2 || a.sd === 0 || b.sd === 0) return null;
  return vartest(x, y).pValue;
}

/**
 * Holm's step-down adjustment of p-values for several tests at once (here: every configuration
 * against one baseline): the i-th smallest p is multiplied by (m - i + 1), and the adjusted values
 * are kept non-decreasing. Nulls (no test) stay null and do not count.
 */
export function holm(ps: (number | null)[]): (number | null)[] {
  const tested = ps.flatMap((p, i) => (p === null ? [] : [{ p, i }])).sort((a, b) => a.p - b.p);
  const m = tested.length;
  const out: (number | null)[] = ps.map(() => null);
  let running = 0;
  tested.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}

/**
 * The smallest difference between two means of `n` runs each that a two-sided t-test at `alpha`
 * detects with probability `power`, when runs vary with standard deviation `sd`:
 * (t(1 - alpha/2, df) + t(power, df)) * sd * sqrt(2 / n), df = 2n - 2 (the usual approximation
 * of the noncentral t). Null when n < 2.
 */
export function detectable(sd: number, n: number, power = 0.8, alpha = 0.05): number | null {
  if (n < 2) return null;
  const df = 2 * n - 2;
  return (tQuantile(1 - alpha / 2, df) + tQuantile(power, df)) * sd * Math.sqrt(2 / n);
}

/** Repeats per configuration at which `difference` becomes detectable (see detectable); null past 1,000. */
export function repeatsToDetect(difference: number, sd: number, power = 0.8, alpha = 0.05): number | null {
  if (sd === 0) return 2;
  for (let n = 2; n <= 1000; n++)
    if ((detectable(sd, n, power, alpha) ?? Infinity) <= Math.abs(difference)) return n;
  return null;
}

/** The sd of runs pooled over groups (each group's runs around its own mean); null with no spread to see. */
export function pooledSd(groups: number[][]): number | null {
  let ss = 0;
  let df = 0;
  for (const g of groups) {
    if (g.length < 2) continue;
    const m = g.reduce((a, b) => a + b, 0) / g.length;
    ss += g.reduce((a, x) => a + (x - m) ** 2, 0);
    df += g.length - 1;
  }
  return df > 0 ? Math.sqrt(ss / df) : null;
}

/** Repeats at which the 95% interval of a mean (runs with sd `sd`) no longer reaches `distance` away; null past 1,000. */
export function repeatsToExclude(distance: number, sd: number): number | null {
  if (sd === 0) return 2;
  for (let n = 2; n <= 1000; n++)
    if (tQuantile(0.975, n - 1) * (sd / Math.sqrt(n)) < Math.abs(distance)) return n;
  return null;
}

const tCdf = require("@stdlib/stats-base-dists-t-cdf") as typeof import("@stdlib/stats-base-dists-t-cdf");

/**
 * Welch's t-test from summary statistics (two-sided p), for a published mean with its sd and n
 * against ours; null when either side has fewer than 2 runs or neither has spread.
 */
export function welchFromSummaries(
  a: { mean: number; sd: number; n: number },
  b: { mean: number; sd: number; n: number },
): number | null {
  if (a.n < 2 || b.n < 2) return null;
  const va = a.sd ** 2 / a.n;
  const vb = b.sd ** 2 / b.n;
  if (va + vb === 0) return a.mean === b.mean ? 1 : 0;
  const t = (a.mean - b.mean) / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  return 2 * (1 - tCdf(Math.abs(t), df));
}

/** The 95% prediction interval of one more run, from `n` runs with mean `mean` and sd `sd`; null for n < 2. */
export function predictionInterval(mean: number, sd: number, n: number): [number, number] | null {
  if (n < 2) return null;
  const half = tQuantile(0.975, n - 1) * sd * Math.sqrt(1 + 1 / n);
  return [mean - half, mean + half];
}

/**
 * The paired t-test of `after` against `before` (the same runs measured twice): two-sided p of
 * the mean difference; null with fewer than 2 pairs, 1 or 0 when the differences have no spread.
 */
export function pairedP(before: number[], after: number[]): number | null {
  const d = after.map((x, i) => x - (before[i] ?? Number.NaN)).filter((x) => Number.isFinite(x));
  const s = summarize(d);
  if (!s || s.n < 2) return null;
  if (s.sd === 0) return s.mean === 0 ? 1 : 0;
  const t = s.mean / (s.sd / Math.sqrt(s.n));
  return 2 * (1 - tCdf(Math.abs(t), s.n - 1));
}
