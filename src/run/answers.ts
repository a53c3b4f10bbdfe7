import {
  type Answer,
  columnOf,
  type MetricColumn,
  metricColumns,
  type Question,
  type SweepValue,
} from "../model/index.js";
import type { PlannedExperiment } from "../plan/types.js";
import type { OkResult } from "../store/schema.js";
import type { Stored } from "../store/store.js";
import { metricNames, metricValues } from "./metrics.js";

/**
 * The answers of finished experiments: which configuration (or epoch) answers each `find`
 * question, the value other experiments take from it (`epochs from "6.2"`) and how it was reached.
 * The run session plans again with them; the report puts the same findings in words.
 */

type Threshold = Extract<Question, { kind: "threshold" }>;
type Best = Extract<Question, { kind: "best" }>;

/** A configuration's results as the answers read them (the report's rows are these, and more). */
export interface Tried {
  /** The swept values of the configuration, by name. */
  values: Readonly<Record<string, SweepValue>>;
  /** Jobs with an ok result. */
  ok: number;
  /** Jobs with no valid result yet. */
  missing: number;
  /** Jobs that failed. */
  failed: number;
  /** Each metric's mean over the ok results; absent when none has it. */
  metrics: Partial<Record<MetricColumn, { mean: number }>>;
}

/** Each configuration's ok results, in configuration order: their per-epoch records. */
export type Histories = Pick<OkResult, "history">[][];

/** The value an answer gives other experiments (null when there is none), and how it was reached or why not. */
export interface Reached {
  value: SweepValue | null;
  detail: string;
}

/** What a threshold question finds: the smallest (or largest) value whose mean meets the condition. */
export interface ThresholdFinding<R extends Tried> extends Reached {
  kind: "threshold";
  question: Threshold;
  key: MetricColumn;
  /** Configurations with results for the metric, by the target's value. */
  ranked: R[];
  /** Those whose mean meets the condition. */
  passing: R[];
  /** Configurations with no results for the metric yet. */
  missing: number;
  /** The passing value that answers, and the value tried next to it that does not pass. */
  pick?: R;
  beyond?: R;
}

/** What a best-value question finds: the configurations by their mean, best first. */
export interface BestFinding<R extends Tried> extends Reached {
  kind: "best";
  question: Best;
  key: MetricColumn;
  ranked: R[];
  /** Configurations with no results for the metric yet. */
  missing: number;
}

/** What a best-epoch question finds: the epoch at which each run's curve is best. */
export interface EpochFinding extends Reached {
  kind: "epoch";
  question: Best;
  split: "train" | "test" | "val";
  what: "loss" | "accuracy";
  /** Whether some configuration's mean curve has the metric at some epoch. */
  measured: boolean;
  /** The best epochs of the runs of the one configuration that has any; null when none or several have. */
  epochs: number[] | null;
}

export type Finding<R extends Tried> = ThresholdFinding<R> | BestFinding<R> | EpochFinding;

const tests: Record<string, (a: number, b: number) => boolean> = {
  ">=": (a, b) => a >= b,
  ">": (a, b) => a > b,
  "<=": (a, b) => a <= b,
  "<": (a, b) => a < b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

const asNumber = (v: unknown) => (typeof v === "number" ? v : Number(v));

/** The mean as the report's statistics take it: the values summed in order, over their count. */
const mean = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;

const runs = (n: number) => `mean of ${n} run${n === 1 ? "" : "s"}`;

function threshold<R extends Tried>(q: Threshold, rows: R[]): ThresholdFinding<R> {
  const key = columnOf(q.metric);
  const ranked = rows
    .filter((r) => r.metrics[key] && r.values[q.target] !== undefined)
    .sort((a, b) => asNumber(a.values[q.target]) - asNumber(b.values[q.target]));
  const passes = (r: R) => tests[q.op]?.(r.metrics[key]?.mean ?? Number.NaN, q.value) ?? false;
  const passing = ranked.filter(passes);
  const missing = rows.filter((r) => !r.metrics[key] && r.missing > 0).length;
  const found = { kind: "threshold" as const, question: q, key, ranked, passing, missing };
  if (ranked.length === 0) return { ...found, value: null, detail: "no results yet" };
  const name = metricNames[key];
  if (passing.length === 0)
    return { ...found, value: null, detail: `none of the values tried meets ${name} ${q.op} ${q.value}` };
  const pick = (q.mode === "min" ? passing[0] : passing[passing.length - 1]) as R;
  const at = ranked.indexOf(pick);
  const beyond = q.mode === "min" ? ranked[at - 1] : ranked[at + 1];
  if (missing > 0)
    return { ...found, pick, beyond, value: null, detail: "not all its values have results yet" };
  return {
    ...found,
    pick,
    beyond,
    value: pick.values[q.target] ?? null,
    detail: `the ${q.mode === "min" ? "smallest" : "largest"} ${q.target} whose mean ${name} is ${q.op} ${q.value}, ${runs(pick.ok)}`,
  };
}

function best<R extends Tried>(q: Best, rows: R[]): BestFinding<R> {
  const key = columnOf(q.metric);
  const sign = q.higherIsBetter ? -1 : 1;
  // A search's candidate that failed in a repeat cannot win on the repeats that survived.
  const eligible = (r: R) => r.metrics[key] && !(q.implied && r.failed > 0);
  const ranked = rows
    .filter(eligible)
    .sort((a, b) => sign * ((a.metrics[key]?.mean ?? 0) - (b.metrics[key]?.mean ?? 0)));
  // Still to come: rows with jobs that have no result yet (those that failed are not waited for).
  const missing = rows.filter((r) => !r.metrics[key] && r.missing > 0).length;
  const found = { kind: "best" as const, question: q, key, ranked, missing };
  const top = ranked[0];
  if (!top) return { ...found, value: null, detail: "no results yet" };
  if (missing > 0) return { ...found, value: null, detail: "not all its configurations have results yet" };
  return {
    ...found,
    value: top.values[q.target] ?? null,
    detail: `the best ${q.target} by ${metricNames[key]}, ${runs(top.ok)}`,
  };
}

/**
 * Whether the mean curve of a configuration's runs has the split's figures at some epoch: at an
 * epoch, every run that reached it recorded them (the training figures always are).
 */
function meanCurveHas(runs: Pick<OkResult, "history">[], split: string): boolean {
  const longest = Math.max(0, ...runs.map((r) => r.history.length));
  for (let k = 0; k < longest; k++) {
    if (split === "train") return true;
    if (split !== "test" && split !== "val") return false;
    if (runs.every((r) => r.history[k] === undefined || r.history[k]?.[split] != null)) return true;
  }
  return false;
}

/** `find best epoch by val.loss`: per run, the epoch its curve is best at; their mean, rounded. */
function bestEpoch(q: Best, histories: Histories): EpochFinding {
  const [split, what] = q.metric.split(".") as ["train" | "test" | "val", "loss" | "accuracy"];
  const better = (a: number, b: number) => (q.higherIsBetter ? a > b : a < b);
  const name = metricNames[columnOf(q.metric)];
  const perRun = histories.map((rs) =>
    rs.flatMap((r) => {
      let at: { epoch: number; value: number } | null = null;
      for (const h of r.history) {
        const p = split === "train" ? { loss: h.loss, accuracy: h.accuracy } : h[split];
        if (p && (at === null || better(p[what], at.value))) at = { epoch: h.epoch, value: p[what] };
      }
      return at ? [at.epoch] : [];
    }),
  );
  const measured = histories.some((rs) => meanCurveHas(rs, split));
  const [only, ...others] = perRun.filter((xs) => xs.length > 0);
  const epochs = only && others.length === 0 ? only : null;
  const found = { kind: "epoch" as const, question: q, split, what, measured, epochs };
  if (!measured) return { ...found, value: null, detail: `no ${name} recorded per epoch yet` };
  if (!epochs)
    return { ...found, value: null, detail: "it has several configurations, each with its own best epoch" };
  return {
    ...found,
    value: Math.round(mean(epochs)),
    detail: `the best epoch by ${name}, ${runs(epochs.length)}`,
  };
}

/** What a question finds in an experiment's configurations and their runs' histories. */
export function findingOf<R extends Tried>(q: Question, rows: R[], histories: Histories): Finding<R> {
  if (q.kind === "threshold") return threshold(q, rows);
  if (q.target === "epoch" || q.target === "epochs_trained") return bestEpoch(q, histories);
  return best(q, rows);
}

/**
 * The value other experiments may use: only once every configuration is planned and every job has
 * a result (until then the answer could still change).
 */
export function settled(e: PlannedExperiment, rows: Tried[], found: Reached): Reached {
  const known = e.search ? e.configurations.length : 0;
  if (e.search && known < e.search.planned)
    return {
      value: null,
      detail: e.search.rungs
        ? `the search has ${known} of its ${e.search.planned} candidate rungs`
        : `the search has ${known} of its ${e.search.count} candidates`,
    };
  const complete = e.waiting.configurations === 0 && rows.every((r) => r.missing === 0);
  return {
    value: complete ? found.value : null,
    detail: complete || found.value === null ? found.detail : "its jobs have not all finished",
  };
}

/** An experiment's configurations as the answers read them, and each one's ok results. */
export function triedOf(
  e: PlannedExperiment,
  lookup: (jobId: string) => Stored,
): { rows: Tried[]; histories: OkResult[][] } {
  const histories: OkResult[][] = [];
  const rows = e.configurations.map((c): Tried => {
    const jobs = e.jobs.filter((j) => j.configuration === c.index);
    const done: OkResult[] = [];
    let failed = 0;
    for (const j of jobs) {
      const s = lookup(j.id);
      if (s.kind !== "valid") continue;
      if (s.result.status === "ok") done.push(s.result);
      else failed++;
    }
    histories.push(done);
    const metrics: Tried["metrics"] = {};
    for (const key of metricColumns) {
      const xs = done.map((r) => metricValues(r)[key]).filter((x): x is number => x !== undefined);
      if (xs.length > 0) metrics[key] = { mean: mean(xs) };
    }
    return {
      values: c.values,
      ok: done.length,
      missing: jobs.length - done.length - failed,
      failed,
      metrics,
    };
  });
  return { rows, histories };
}

/**
 * The rows a question of a successive halving search reads: its last rung's (the candidates
 * trained every epoch), not the same candidates at fewer epochs; every row for other experiments.
 * `histories` are the rows' results, kept in step with them.
 */
export function lastRung<R extends { values: Tried["values"] }, H>(
  e: Pick<PlannedExperiment, "search">,
  rows: R[],
  histories: H[],
): { rows: R[]; histories: H[] } {
  const last = e.search?.rungs?.[e.search.rungs.length - 1]?.epochs;
  if (last === undefined) return { rows, histories };
  const keep = rows.map((r) => r.values.epochs === last);
  return { rows: rows.filter((_, i) => keep[i]), histories: histories.filter((_, i) => keep[i]) };
}

/** An experiment's answers from whatever results exist, by question target: what references use. */
export function answersFromResults(
  e: PlannedExperiment,
  lookup: (jobId: string) => Stored,
): Map<string, Answer> {
  const results = new Map<string, Stored>();
  const read = (id: string) => {
    let s = results.get(id);
    if (!s) {
      s = lookup(id);
      results.set(id, s);
    }
    return s;
  };
  const { rows, histories } = triedOf(e, read);
  const last = lastRung(e, rows, histories);
  return new Map(
    e.questions.map((q) => [q.target, settled(e, rows, findingOf(q, last.rows, last.histories))]),
  );
}
