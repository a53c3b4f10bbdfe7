import { mean, std } from "mathjs";
import type { Summary } from "../schema.js";
import { meanHalfWidth } from "./confidence.js";

/** n, mean, sd, min, max and the 95% confidence interval of `xs`; null when there are none. */
export function summarize(xs: number[]): Summary | null {
  if (xs.length === 0) return null;
  const n = xs.length;
  const m = mean(xs) as number;
  const sd = n > 1 ? (std(xs, "unbiased") as unknown as number) : 0;
  const half = meanHalfWidth(sd, n);
  return {
    n,
    mean: m,
    sd,
    min: Math.min(...xs),
    max: Math.max(...xs),
    ci95: half === null ? null : [m - half, m + half],
  };
}
