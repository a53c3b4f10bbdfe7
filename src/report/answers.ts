import type { Question, SweepValue } from "../model/index.js";
import type { PlannedExperiment } from "../plan/types.js";
import type { OkResult } from "../store/schema.js";
import { metricKey, metricNames, pmn, show, showP } from "./format.js";
import { metricValues } from "./metrics.js";
import type { Answer, Curve, MetricKey, Row } from "./schema.js";
import { compare, pooledSd, repeatsToDetect, repeatsToExclude, summarize } from "./stats.js";

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

/** An answer in words, and the value it gives another experiment (null when there is none). */
interface Found {
  text: string;
  value: SweepValue | null;
  /** How the value was reached, for the experiments that use it. */
  detail: string;
}

const none = (text: string, detail = text): Found => ({ text, value: null, detail });

function threshold(q: Extract<Question, { kind: "threshold" }>, rows: Row[]): Found {
  const key = metricKey(q.metric);
  const ranked = rows
    .filter((r) => r.metrics[key] && r.values[q.target] !== undefined)
    .sort((a, b) => asNumber(a.values[q.target]) - asNumber(b.values[q.target]));
  if (ranked.length === 0) return none("no results yet");
  const passes = (r: Row) => tests[q.op]?.(r.metrics[key]?.mean ?? Number.NaN, q.value) ?? false;
  const ok = ranked.filter(passes);
  const missing = rows.filter((r) => !r.metrics[key]).length;
  const pending = missing > 0 ? ` (${missing} of the values tried have no results yet)` : "";
  if (ok.length === 0) {
    return none(
      `none of the values tried meets ${metricNames[key]} ${q.op} ${q.value}${pending}; ${ranked.map((r) => rowText(r, key, q.target)).join("; ")}`,
      `none of the values tried meets ${metricNames[key]} ${q.op} ${q.value}`,
    );
  }
  const pick = (q.mode === "min" ? ok[0] : ok[ok.length - 1]) as Row;
  const at = ranked.indexOf(pick);
  const beyond = q.mode === "min" ? ranked[at - 1] : ranked[at + 1];
  const s = pick.metrics[key];
  let answer = `${q.target} ${pick.values[q.target]} (${rowText(pick, key, q.target).split(": ")[1]})`;
  if (beyond)
    answer += `; the next ${q.mode === "min" ? "smaller" : "larger"} value tried, ${rowText(beyond, key, q.target)}, does not meet it`;
  if (s?.ci95 && s.ci95[0] <= q.value && s.ci95[1] >= q.value) {
    const n = repeatsToExclude(s.mean - q.value, s.sd);
    answer += `. The 95% interval of ${q.target} ${pick.values[q.target]} (${show(key, s.ci95[0])} to ${show(key, s.ci95[1])}) reaches across ${q.value}, so more repeats are needed to be sure${n !== null ? ` (about ${n}, at this spread)` : ""}`;
  }
  const value = pick.values[q.target] ?? null;
  const detail = `the ${q.mode === "min" ? "smallest" : "largest"} ${q.target} whose mean ${metricNames[key]} is ${q.op} ${q.value}, ${runs(pick.ok)}`;
  return missing > 0
    ? none(answer + pending, `not all its values have results yet`)
    : { text: answer, value, detail };
}

const runs = (n: number) => `mean of ${n} run${n === 1 ? "" : "s"}`;

function bestRow(q: Extract<Question, { kind: "best" }>, rows: Row[], oks: OkResult[][]): Found {
  const key = metricKey(q.metric);
  const sign = q.higherIsBetter ? -1 : 1;
  const ranked = rows
    .filter((r) => r.metrics[key])
    .sort((a, b) => sign * ((a.metrics[key]?.mean ?? 0) - (b.metrics[key]?.mean ?? 0)));
  const best = ranked[0];
  if (!best) return none("no results yet");
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
    else {
      const sd = pooledSd([values(best), values(second)]);
      const n = sd !== null && c.difference ? repeatsToDetect(c.difference, sd) : null;
      answer += ` (the difference, ${show(key, Math.abs(c.difference ?? 0))}, cannot be told apart from the run-to-run noise: Welch's t-test ${showP(c.p ?? 1)}${n !== null ? `; about ${n} repeats of each would tell them apart, 80% of the time` : ""})`;
    }
  }
  const missing = rows.filter((r) => !r.metrics[key]).length;
  if (missing > 0) {
    answer += `; ${missing} configuration${missing === 1 ? " has" : "s have"} no results yet`;
    return none(answer, "not all its configurations have results yet");
  }
  return {
    text: answer,
    value: best.values[q.target] ?? null,
    detail: `the best ${q.target} by ${metricNames[key]}, ${runs(best.ok)}`,
  };
}

/**
 * `find best epoch by val.loss`: per configuration, the epoch at which each run's curve is best,
 * their mean over the runs (rounded: the value another experiment uses), and where the mean curve
 * is best.
 */
function bestEpoch(q: Extract<Question, { kind: "best" }>, curves: Curve[], oks: OkResult[][]): Found {
  const [split, what] = q.metric.split(".") as ["train" | "test" | "val", "loss" | "accuracy"];
  const better = (a: number, b: number) => (q.higherIsBetter ? a > b : a < b);
  const name = metricNames[metricKey(q.metric)];
  const perRun = oks.map((rs) =>
    rs.flatMap((r) => {
      let best: { epoch: number; value: number } | null = null;
      for (const h of r.history) {
        const p = split === "train" ? { loss: h.loss, accuracy: h.accuracy } : h[split];
        if (p && (best === null || better(p[what], best.value))) best = { epoch: h.epoch, value: p[what] };
      }
      return best ? [best.epoch] : [];
    }),
  );
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
      `${curves.length > 1 ? `${c.label}: ` : ""}the mean curve is best at epoch ${best.epoch} (${name} ${show(metricKey(q.metric), best.value)}, mean of ${best.n} run${best.n === 1 ? "" : "s"}; ${points.length} epochs evaluated)`,
    );
  }
  if (parts.length === 0) return none(`no ${name} recorded per epoch yet`);
  const [only, ...others] = perRun.filter((xs) => xs.length > 0);
  const s = only ? summarize(only) : null;
  if (!only || !s || others.length > 0)
    return none(parts.join("; "), "it has several configurations, each with its own best epoch");
  const epoch = Math.round(s.mean);
  const spread = s.n > 1 ? ` (${s.mean.toFixed(1)} ± ${s.sd.toFixed(1)}, ${s.min} to ${s.max})` : "";
  return {
    text: `epoch ${epoch}: the mean of ${s.n} run${s.n === 1 ? "'s" : "s'"} best epochs by ${name}${spread}; ${parts.join("; ")}`,
    value: epoch,
    detail: `the best epoch by ${name}, ${runs(s.n)}`,
  };
}

/** The answers to an experiment's `find` questions, each with its uncertainty. */
export function answersOf(e: PlannedExperiment, rows: Row[], curves: Curve[], oks: OkResult[][]): Answer[] {
  return e.questions.map((q) => {
    let found: Found;
    if (q.kind === "threshold") found = threshold(q, rows);
    else if (q.target === "epoch" || q.target === "epochs_trained") found = bestEpoch(q, curves, oks);
    else found = bestRow(q, rows, oks);
    const complete = e.waiting.configurations === 0 && rows.every((r) => r.missing === 0);
    const value = complete ? found.value : null;
    const detail = complete || found.value === null ? found.detail : "its jobs have not all finished";
    return { question: q.text, answer: found.text, target: q.target, value, detail };
  });
}
