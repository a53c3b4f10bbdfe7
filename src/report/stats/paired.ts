import { summarize } from "./summary.js";
import { tCdf } from "./t-distribution.js";

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
