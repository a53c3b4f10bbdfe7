import { createRequire } from "node:module";
import { summarize } from "./summary.js";

// stdlib's packages are CommonJS with `export =` typings.
const require = createRequire(import.meta.url);
const vartest = require("@stdlib/stats-vartest") as typeof import("@stdlib/stats-vartest");

/** The F-test of equal variances (two-sided); null when either side has fewer than 2 runs or no spread. */
export function varianceP(x: number[], y: number[]): number | null {
  const a = summarize(x);
  const b = summarize(y);
  if (!a || !b || a.n < 2 || b.n < 2 || a.sd === 0 || b.sd === 0) return null;
  return vartest(x, y).pValue;
}
