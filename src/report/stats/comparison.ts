import type { Comparison } from "../schema.js";
import { hedgesG } from "./hedges.js";
import { summarize } from "./summary.js";
import { welchP } from "./welch.js";

/** A comparison without a test, and why. */
const untested = (difference: number | null, why: string): Comparison => ({
  difference,
  p: null,
  pAdjusted: null,
  effect: null,
  significant: false,
  untestable: why,
});

/** Welch's t-test and Hedges' g of `x` against `base`, at level `alpha`. */
export function compare(x: number[], base: number[], alpha = 0.05): Comparison {
  const a = summarize(x);
  const b = summarize(base);
  if (!a || !b) return untested(null, "no runs");
  const difference = a.mean - b.mean;
  if (a.n < 2 || b.n < 2) return untested(difference, `n = ${Math.min(a.n, b.n)}: no test is possible`);
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
  const p = welchP(x, base, alpha);
  return { difference, p, pAdjusted: p, effect: hedgesG(a, b), significant: p < alpha, untestable: null };
}
