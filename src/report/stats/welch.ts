import { createRequire } from "node:module";
import { tCdf } from "./t-distribution.js";

// stdlib's packages are CommonJS with `export =` typings.
const require = createRequire(import.meta.url);
const ttest2 = require("@stdlib/stats-ttest2") as typeof import("@stdlib/stats-ttest2");

/** Welch's two-sample t-test of `x` against `y` (two-sided p), at level `alpha`. */
export function welchP(x: number[], y: number[], alpha = 0.05): number {
  return ttest2(x, y, { alpha }).pValue;
}

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
