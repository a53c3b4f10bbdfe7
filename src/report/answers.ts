import type { PlannedExperiment } from "../plan/types.js";
import {
  type BestFinding,
  type EpochFinding,
  type Finding,
  findingOf,
  lastRung,
  settled,
  type ThresholdFinding,
} from "../run/answers.js";
import { metricValues } from "../run/metrics.js";
import type { OkResult } from "../store/schema.js";
import { metricKey, metricNames, pmn, show, showP } from "./format.js";
import type { Answer, Curve, MetricKey, Row } from "./schema.js";
import { compare, pooledSd, repeatsToDetect, repeatsToExclude, summarize } from "./stats/index.js";

/**
 * The answers to an experiment's `find` questions in words, with their uncertainty. What answers
 * each question (and the value other experiments use) is found in src/run/answers.ts, the same
 * way for the run session and for the report.
 */

function rowText(r: Row, key: MetricKey, target: string): string {
  const s = r.metrics[key];
  const value = r.values[target] ?? r.label;
  return s ? `${target} ${value}: ${metricNames[key]} ${pmn(key, s)}` : `${target} ${value}: no results yet`;
}

function thresholdText(f: ThresholdFinding<Row>): string {
  const { question: q, key, ranked, missing, pick, beyond } = f;
  if (ranked.length === 0) return "no results yet";
  const pending = missing > 0 ? ` (${missing} of the values tried have no results yet)` : "";
  if (!pick)
    return `none of the values tried meets ${metricNames[key]} ${q.op} ${q.value}${pending}; ${ranked.map((r) => rowText(r, key, q.target)).join("; ")}`;
  const s = pick.metrics[key];
  let answer = `${q.target} ${pick.values[q.target]} (${rowText(pick, key, q.target).split(": ")[1]})`;
  if (beyond)
    answer += `; the next ${q.mode === "min" ? "smaller" : "larger"} value tried, ${rowText(beyond, key, q.target)}, does not meet it`;
  if (s?.ci95 && s.ci95[0] <= q.value && s.ci95[1] >= q.value) {
    const n = repeatsToExclude(s.mean - q.value, s.sd);
    answer += `. The 95% interval of ${q.target} ${pick.values[q.target]} (${show(key, s.ci95[0])} to ${show(key, s.ci95[1])}) reaches across ${q.value}, so more repeats are needed to be sure${n !== null ? ` (about ${n}, at this spread)` : ""}`;
  }
  return answer + pending;
}

function bestText(f: BestFinding<Row>, oks: OkResult[][]): string {
  const { question: q, key, ranked, missing } = f;
  const [best, second] = ranked;
  if (!best) return "no results yet";
  let answer = rowText(best, key, q.target);
  if (second) {
    const values = (r: Row) =>
      (oks[r.index] ?? []).map((x) => metricValues(x)[key]).filter((x): x is number => x !== undefined);
    const c = compare(values(best), values(second));
    answer += `; next, ${rowText(second, key, q.target)}`;
    if (c.untestable) answer += ` (${c.untestable})`;
    else if (c.significant)
      answer += ` (the difference, ${show(key, Math.abs(c.difference ?? 0))}, is larger than the run-to-run noise: Welch's t-test ${showP(c.p ?? 0)})`;
    else {
      const sd = pooledSd([values(best), values(second)]);
      const n = sd !== null && c.difference ? repeatsToDetect(c.difference, sd) : null;
      answer += ` (the difference, ${show(key, Math.abs(c.difference ?? 0))}, cannot be told apart from the run-to-run noise: Welch's t-test ${showP(c.p ?? 1)}${n !== null ? `; about ${n} repeats of each would tell them apart, 80% of the time` : ""})`;
    }
  }
  if (missing > 0) answer += `; ${missing} configuration${missing === 1 ? " has" : "s have"} no results yet`;
  return answer;
}

/**
 * `find best epoch by val.loss`: per configuration, where the mean curve is best; and the mean of
 * the runs' best epochs (rounded: the value another experiment uses) with its spread.
 */
function epochText(f: EpochFinding, curves: Curve[]): string {
  const { question: q, split, what } = f;
  const key = metricKey(q.metric);
  const name = metricNames[key];
  if (!f.measured) return `no ${name} recorded per epoch yet`;
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
      `${curves.length > 1 ? `${c.label}: ` : ""}the mean curve is best at epoch ${best.epoch} (${name} ${show(key, best.value)}, mean of ${best.n} run${best.n === 1 ? "" : "s"}; ${points.length} epochs evaluated)`,
    );
  }
  const s = f.epochs ? summarize(f.epochs) : null;
  if (!s) return parts.join("; ");
  const spread = s.n > 1 ? ` (${s.mean.toFixed(1)} ± ${s.sd.toFixed(1)}, ${s.min} to ${s.max})` : "";
  return `epoch ${f.value}: the mean of ${s.n} run${s.n === 1 ? "'s" : "s'"} best epochs by ${name}${spread}; ${parts.join("; ")}`;
}

function wordsOf(f: Finding<Row>, curves: Curve[], oks: OkResult[][]): string {
  switch (f.kind) {
    case "threshold":
      return thresholdText(f);
    case "best":
      return bestText(f, oks);
    case "epoch":
      return epochText(f, curves);
  }
}

/** The answers to an experiment's `find` questions, each with its uncertainty. */
export function answersOf(e: PlannedExperiment, rows: Row[], curves: Curve[], oks: OkResult[][]): Answer[] {
  // A search's own answers (its best candidate's settings) are its winner, which its page shows.
  const asked = e.questions.filter((q) => !(q.kind === "best" && q.implied));
  const last = lastRung(e, rows, oks);
  return asked.map((q) => {
    const found = findingOf(q, last.rows, last.histories);
    const { value, detail } = settled(e, rows, found);
    return { question: q.text, answer: wordsOf(found, curves, oks), target: q.target, value, detail };
  });
}
