import type { Question } from "../check/types.js";
import type { PlannedExperiment } from "../plan/types.js";
import type { OkResult } from "../store/schema.js";
import { metricKey, metricNames, pmn, show, showP } from "./format.js";
import { metricValues } from "./metrics.js";
import type { Curve, MetricKey, Row } from "./schema.js";
import { compare } from "./stats.js";

const tests: Record<string, (a: number, b: number) => boolean> = {
  ">=": (a, b) => a >= b,
  ">": (a, b) => a > b,
  "<=": (a, b) => a <= b,
  "<": (a, b) => a < b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

const asNumber = (v: unknown) => (typeof v === "number" ? v : Number(v));

function rowText(r: Row, key: MetricKey, target: string): string {
  const s = r.metrics[key];
  const value = r.values[target] ?? r.label;
  return s ? `${target} ${value}: ${metricNames[key]} ${pmn(key, s)}` : `${target} ${value}: no results yet`;
}

function threshold(q: Extract<Question, { kind: "threshold" }>, rows: Row[]): string {
  const key = metricKey(q.metric);
  const ranked = rows
    .filter((r) => r.metrics[key] && r.values[q.target] !== undefined)
    .sort((a, b) => asNumber(a.values[q.target]) - asNumber(b.values[q.target]));
  if (ranked.length === 0) return "no results yet";
  const passes = (r: Row) => tests[q.op]?.(r.metrics[key]?.mean ?? Number.NaN, q.value) ?? false;
  const ok = ranked.filter(passes);
  const missing = rows.filter((r) => !r.metrics[key]).length;
  const pending = missing > 0 ? ` (${missing} of the values tried have no results yet)` : "";
  if (ok.length === 0) {
    return `none of the values tried meets ${metricNames[key]} ${q.op} ${q.value}${pending}; ${ranked.map((r) => rowText(r, key, q.target)).join("; ")}`;
  }
  const pick = (q.mode === "min" ? ok[0] : ok[ok.length - 1]) as Row;
  const at = ranked.indexOf(pick);
  const beyond = q.mode === "min" ? ranked[at - 1] : ranked[at + 1];
  const s = pick.metrics[key];
  let answer = `${q.target} ${pick.values[q.target]} (${rowText(pick, key, q.target).split(": ")[1]})`;
  if (beyond)
    answer += `; the next ${q.mode === "min" ? "smaller" : "larger"} value tried, ${rowText(beyond, key, q.target)}, does not meet it`;
  if (s?.ci95 && s.ci95[0] <= q.value && s.ci95[1] >= q.value)
    answer += `. The 95% interval of ${q.target} ${pick.values[q.target]} (${show(key, s.ci95[0])} to ${show(key, s.ci95[1])}) reaches across ${q.value}, so more repeats are needed to be sure`;
  return answer + pending;
}

function bestRow(q: Extract<Question, { kind: "best" }>, rows: Row[], oks: OkResult[][]): string {
  const key = metricKey(q.metric);
  const sign = q.higherIsBetter ? -1 : 1;
  const ranked = rows
    .filter((r) => r.metrics[key])
    .sort((a, b) => sign * ((a.metrics[key]?.mean ?? 0) - (b.metrics[key]?.mean ?? 0)));
  const best = ranked[0];
  if (!best) return "no results yet";
  let answer = rowText(best, key, q.target);
  const second = ranked[1];
  if (second) {
    const values = (r: Row) =>
      (oks[r.index] ?? []).map((x) => metricValues(x)[key]).filter((x): x is number => x !== undefined);
    const c = compare(values(best), values(second));
    answer += `; next, ${rowText(second, key, q.target)}`;
    if (c.untestable) answer += ` (${c.untestable})`;
    else if (c.significant)
      answer += ` (the difference, ${show(key, Math.abs(c.difference ?? 0))}, is larger than the run-to-run noise: Welch's t-test ${showP(c.p ?? 0)})`;
    else
      answer += ` (the difference, ${show(key, Math.abs(c.difference ?? 0))}, cannot be told apart from the run-to-run noise: Welch's t-test ${showP(c.p ?? 1)})`;
  }
  const missing = rows.filter((r) => !r.metrics[key]).length;
  if (missing > 0) answer += `; ${missing} configuration${missing === 1 ? " has" : "s have"} no results yet`;
  return answer;
}

/** `find best epoch by val.loss`: the epoch of each configuration's mean curve that is best. */
function bestEpoch(q: Extract<Question, { kind: "best" }>, curves: Curve[]): string {
  const [split, what] = q.metric.split(".") as ["train" | "test" | "val", "loss" | "accuracy"];
  const parts: string[] = [];
  for (const c of curves) {
    const points = c.epochs.flatMap((e) => {
      const p = e[split];
      return p ? [{ epoch: e.epoch, value: p[what], n: e.n }] : [];
    });
    if (points.length === 0) continue;
    const best = points.reduce((a, b) =>
      (q.higherIsBetter ? b.value > a.value : b.value < a.value) ? b : a,
    );
    parts.push(
      `${curves.length > 1 ? `${c.label}: ` : ""}epoch ${best.epoch} (${metricNames[metricKey(q.metric)]} ${show(metricKey(q.metric), best.value)}, mean of ${best.n} run${best.n === 1 ? "" : "s"}; ${points.length} epochs evaluated)`,
    );
  }
  return parts.length > 0
    ? parts.join("; ")
    : `no ${metricNames[metricKey(q.metric)]} recorded per epoch yet`;
}

/** The answers to an experiment's `find` questions, each with its uncertainty. */
export function answersOf(
  e: PlannedExperiment,
  rows: Row[],
  curves: Curve[],
  oks: OkResult[][],
): { question: string; answer: string }[] {
  return e.questions.map((q) => {
    let answer: string;
    if (q.kind === "threshold") answer = threshold(q, rows);
    else if (q.target === "epoch" || q.target === "epochs_trained") answer = bestEpoch(q, curves);
    else answer = bestRow(q, rows, oks);
    return { question: q.text, answer };
  });
}
