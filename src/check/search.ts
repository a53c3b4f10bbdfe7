import { bounds } from "../bounds.js";
import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import type { Value as AstValue, Statement } from "../dsl/ast.js";
import { higherIsBetter, type Metric, metrics, type Question } from "../model/index.js";
import {
  candidatePoint,
  type Dimension,
  type Observation,
  type Point,
  rangeValue,
  STARTUP,
  type Strategy,
  type Value,
} from "../search/index.js";
import { didYouMean } from "../util/suggest.js";
import { type AxisEntry, integerNames, numericNames, type ReadAxis, readEntry } from "./axes.js";
import type { ModelRegistry } from "./models.js";
import { grouped, isDiagnostic, type SweepName, sweepable } from "./settings.js";

type Of<K extends Statement["kind"]> = Extract<Statement, { kind: K }>;

/** An experiment's search: how it samples, how many candidates, by what, and its space. */
export interface SearchSpec {
  strategy: Searched;
  count: number;
  metric: Metric;
  /** The metric's better direction: higher (accuracy) unless the statement says otherwise. */
  higher: boolean;
  space: Dimension[];
  span: Span;
}

/** A dimension with what the checker reads its values from: a list's items as written. */
interface Read {
  dimension: Dimension;
  sweep: Of<"sweep">;
  items: AstValue[];
}

/** The strategies a pipeline may name (successive halving needs runs that continue: not yet). */
type Searched = Extract<Strategy, "random" | "tpe">;
const strategies: readonly Searched[] = ["random", "tpe"];

/** A sweep's scale word in a grid, where there is nothing to sample on a scale (E140). */
export function scaleInGrid(s: Of<"sweep">): Diagnostic | null {
  if (!s.scale) return null;
  return error(
    "E140",
    s.scale.span,
    `a '${s.scale.value}' scale is for a search`,
    "Add `search random N by METRIC` to sample this range, or list the values to try.",
  );
}

/** One sweep of a search as a dimension of its space, or why it cannot be one. */
function dimensionOf(s: Of<"sweep">, models: ModelRegistry): Read | Diagnostic {
  const [first, ...more] = s.names;
  if (!first || more.length > 0)
    return error("E141", s.span, "a search samples each setting on its own", "Sweep one name per statement.");
  if (!(sweepable as readonly string[]).includes(first.value))
    return error("E114", first.span, `cannot sweep '${first.value}'`, didYouMean(first.value, sweepable));
  const name = first.value as SweepName;
  if (s.scale && s.scale.value !== "log")
    return error(
      "E140",
      s.scale.span,
      `unknown scale '${s.scale.value}'`,
      "The scale a search knows is `log`.",
    );
  const [item, ...others] = s.items;
  if (!item) return error("E105", s.span, "this sweep has no values");
  if (item.kind === "range" && others.length === 0 && !item.step) {
    if (!numericNames.has(name)) return error("E103", item.span, `'${name}' cannot take a range`);
    if (s.scale && item.from.kind === "number" && item.from.value <= 0)
      return error(
        "E140",
        item.span,
        `a log scale needs a range above 0; this one starts at ${item.from.raw}`,
        "Start the range above 0, or sample it evenly (without `log`).",
      );
    const ends: number[] = [];
    for (const v of [item.from, item.to]) {
      const e = readEntry(name, v, models);
      if (isDiagnostic(e)) return e;
      ends.push(e.value as number);
    }
    const [lo = 0, hi = 0] = ends;
    if (hi < lo) return error("E105", item.span, `the range runs backwards (${lo} > ${hi})`);
    if (s.scale && lo <= 0)
      return error(
        "E140",
        item.span,
        `a log scale needs a range above 0; this one starts at ${lo}`,
        "Start the range above 0, or sample it evenly (without `log`).",
      );
    const dimension: Dimension = {
      name,
      kind: "range",
      lo,
      hi,
      log: Boolean(s.scale),
      integer: integerNames.has(name),
    };
    return { dimension, sweep: s, items: [] };
  }
  if (s.scale) return error("E140", s.scale.span, "a log scale is for a range: [low..high]");
  const values: Value[] = [];
  const items: AstValue[] = [];
  for (const it of s.items) {
    if (it.kind !== "value")
      return error("E141", it.span, "a search samples a range [low..high] or a list of values, not both");
    const e = readEntry(name, it.value, models);
    if (isDiagnostic(e)) return e;
    values.push(e.shown);
    items.push(it.value);
  }
  return { dimension: { name, kind: "list", values }, sweep: s, items };
}

/**
 * Reads an experiment's `search` statement and the sweeps it samples, reporting each fault at
 * its place: an unknown strategy, fewer than 2 candidates, a metric it cannot use (validation
 * metrics need validation_split), nothing to sample, a log scale over a range that reaches 0.
 */
export function readSearch(
  searches: Of<"search">[],
  sweeps: Of<"sweep">[],
  ctx: { models: ModelRegistry; validationSplit: number; diagnostics: Diagnostic[] },
): { spec: SearchSpec; read: Read[] } | null {
  const { diagnostics } = ctx;
  const [s, second] = searches;
  if (!s) return null;
  const before = diagnostics.length;
  if (second)
    diagnostics.push(
      error("E108", second.span, "this experiment already searches", undefined, [
        { span: s.span, message: "its search" },
      ]),
    );
  const strategy = s.strategy.value as Searched;
  if (!strategies.includes(strategy))
    diagnostics.push(
      error(
        "E136",
        s.strategy.span,
        `unknown search strategy '${s.strategy.value}'`,
        didYouMean(s.strategy.value, strategies),
      ),
    );
  const count = s.count.value;
  if (!Number.isInteger(count) || count < 2 || count > bounds.searchCandidates)
    diagnostics.push(
      error(
        "E137",
        s.count.span,
        `a search tries 2 to ${grouped(bounds.searchCandidates)} candidates, not ${s.count.raw}`,
      ),
    );
  const metric = s.metric.value as Metric;
  if (!(metrics as readonly string[]).includes(metric))
    diagnostics.push(error("E139", s.metric.span, `unknown metric '${metric}'`, didYouMean(metric, metrics)));
  else if (metric.startsWith("val.") && ctx.validationSplit === 0)
    diagnostics.push(
      error(
        "E139",
        s.metric.span,
        `${metric} needs validation data`,
        "Set validation_split (e.g. 0.1), or search by another metric.",
      ),
    );
  const direction = s.direction?.value;
  if (direction !== undefined && direction !== "highest" && direction !== "lowest" && s.direction)
    diagnostics.push(
      error("E139", s.direction.span, `'${direction}' is not a direction`, "Write highest or lowest."),
    );
  if (sweeps.length === 0)
    diagnostics.push(
      error(
        "E138",
        s.span,
        "this search has nothing to sample",
        "Sweep what it searches: `sweep learning_rate log [0.001..0.3]`.",
      ),
    );
  const read: Read[] = [];
  for (const sweep of sweeps) {
    const d = dimensionOf(sweep, ctx.models);
    if (isDiagnostic(d)) diagnostics.push(d);
    else read.push(d);
  }
  if (diagnostics.length > before) return null;
  const higher = direction ? direction === "highest" : higherIsBetter(metric);
  const space = read.map((r) => r.dimension);
  return { spec: { strategy, count, metric, higher, space, span: s.span }, read };
}

/** TPE proposes this many candidates at a time, each batch from every candidate before it. */
export const TPE_BATCH = 4;

/**
 * Which candidates are known, and their points: random search's all of them, from
 * the pipeline's seed; TPE's its random start, then a batch of TPE_BATCH at a time once every
 * candidate before the batch has finished (its score in `observed`), proposed from those scores.
 * The same seed and scores give the same candidates, whatever the number of workers.
 */
export function knownPoints(spec: SearchSpec, seed: number, observed: (number | null)[]): Point[] {
  const points: Point[] = [];
  const first = spec.strategy === "tpe" ? Math.min(spec.count, STARTUP) : spec.count;
  for (let k = 0; k < first; k++) points.push(candidatePoint(spec.space, spec.strategy, k, [], seed));
  while (points.length < spec.count) {
    const scores = observed.slice(0, points.length);
    if (
      scores.length < points.length ||
      scores.some((v) => v === null || v === undefined || !Number.isFinite(v))
    )
      break;
    const observations: Observation[] = points.map((point, i) => ({ point, score: scores[i] as number }));
    const end = Math.min(spec.count, points.length + TPE_BATCH);
    for (let k = points.length; k < end; k++)
      points.push(candidatePoint(spec.space, spec.strategy, k, observations, seed));
  }
  return points;
}

/** The candidates known so far as one axis of the experiment: a tuple sweep whose rows were sampled. */
export function candidateAxis(
  search: { spec: SearchSpec; read: Read[] },
  at: { seed: number; observed: (number | null)[] },
  models: ModelRegistry,
  diagnostics: Diagnostic[],
): ReadAxis | null {
  const { spec, read } = search;
  const rows: AxisEntry[][] = [];
  for (const point of knownPoints(spec, at.seed, at.observed)) {
    const row: AxisEntry[] = [];
    for (const [j, r] of read.entries()) {
      const u = point[j] as number;
      const v: AstValue =
        r.dimension.kind === "list"
          ? (r.items[u] as AstValue)
          : {
              kind: "number",
              value: rangeValue(r.dimension, u),
              raw: String(rangeValue(r.dimension, u)),
              span: r.sweep.span,
            };
      const e = readEntry(r.dimension.name as SweepName, v, models);
      if (isDiagnostic(e)) {
        diagnostics.push(e);
        return null;
      }
      row.push(e);
    }
    rows.push(row);
  }
  return {
    names: read.map((r) => r.dimension.name as SweepName),
    nameSpans: read.map((r) => r.sweep.names[0]?.span ?? r.sweep.span),
    rows,
    span: spec.span,
  };
}

/**
 * The answers a search gives other experiments (`learning_rate from "Tuning"`): the best
 * candidate's value of each setting it samples, by the search's metric, unless a `find` asks of it.
 */
export function searchAnswers(search: SearchSpec, asked: Question[]): Question[] {
  const turned = search.higher !== higherIsBetter(search.metric);
  const by = `${search.metric}${turned ? (search.higher ? " highest" : " lowest") : ""}`;
  return search.space
    .filter((d) => !asked.some((q) => q.target === d.name))
    .map((d) => ({
      kind: "best",
      target: d.name,
      metric: search.metric,
      higherIsBetter: search.higher,
      text: `best ${d.name} by ${by}`,
      implied: true,
    }));
}
