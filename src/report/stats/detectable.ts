import { tQuantile } from "./t-distribution.js";

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
