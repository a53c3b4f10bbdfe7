import { columnOf, type Metric } from "../model/index.js";
import type { MetricKey, Summary } from "./schema.js";

export { metricNames } from "../model/index.js";

/** A metric's value as shown: seconds with 1 decimal, ms per sample with 3, others with 4. */
export function show(key: MetricKey, x: number): string {
  if (key === "time.total" || key === "time.per_epoch") return x.toFixed(1);
  if (key === "time.per_sample") return (x * 1000).toFixed(3);
  if (key === "epochs_trained") return Number.isInteger(x) ? String(x) : x.toFixed(1);
  return x.toFixed(4);
}

/** A signed figure with a true minus sign, as differences from the baseline are shown: `+0.0106`, `−0.0098`. */
export function signed(x: number, text: (magnitude: number) => string): string {
  return `${x >= 0 ? "+" : "−"}${text(Math.abs(x))}`;
}

/** `0.8512 ± 0.0031` (mean ± sd), or the mean alone when n = 1. */
export function pm(key: MetricKey, s: Summary): string {
  return s.n > 1 ? `${show(key, s.mean)} ± ${show(key, s.sd)}` : show(key, s.mean);
}

/** `0.8512 ± 0.0031, n = 5`. */
export function pmn(key: MetricKey, s: Summary): string {
  return `${pm(key, s)}, n = ${s.n}`;
}

/** A p-value as reported: `p = 0.032`, `p < 0.001`. */
export function showP(p: number): string {
  return p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(3)}`;
}

/** The metric a `.cnnp` question names, as the report keys it. */
export function metricKey(m: string): MetricKey {
  return columnOf(m as Metric);
}

/** `a`, `a and b`, `a, b and c`. */
export const listed = (xs: string[]): string =>
  xs.length < 2 ? (xs[0] ?? "") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`;
