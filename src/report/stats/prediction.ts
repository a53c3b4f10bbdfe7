import { tQuantile } from "./t-distribution.js";

/** The 95% prediction interval of one more run, from `n` runs with mean `mean` and sd `sd`; null for n < 2. */
export function predictionInterval(mean: number, sd: number, n: number): [number, number] | null {
  if (n < 2) return null;
  const half = tQuantile(0.975, n - 1) * sd * Math.sqrt(1 + 1 / n);
  return [mean - half, mean + half];
}
