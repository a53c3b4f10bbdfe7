import { sqrt } from "mathjs";
import { tQuantile } from "./t-distribution.js";

/**
 * Half the width of the 95% confidence interval of the mean of `n` runs with standard deviation
 * `sd` (Student's t): t(0.975, n - 1) * sd / sqrt(n). Null for n < 2.
 */
export function meanHalfWidth(sd: number, n: number): number | null {
  return n > 1 ? tQuantile(0.975, n - 1) * (sd / (sqrt(n) as number)) : null;
}

/** Repeats at which the 95% interval of a mean (runs with sd `sd`) no longer reaches `distance` away; null past 1,000. */
export function repeatsToExclude(distance: number, sd: number): number | null {
  if (sd === 0) return 2;
  for (let n = 2; n <= 1000; n++) if ((meanHalfWidth(sd, n) ?? Infinity) < Math.abs(distance)) return n;
  return null;
}
