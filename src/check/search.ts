import { bounds } from "../bounds.js";
import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import type { Value as AstValue, Statement } from "../dsl/ast.js";
import { higherIsBetter, type Metric, metrics, type Question } from "../model/index.js";
import {
  candidatePoint,
  type Dimension,
  halvingRungs,
  type Observation,
  type Point,
  type Rung,
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
  strategy: Strategy;
  count: number;
  /** Successive halving's rungs (halvingRungs of the count and the experiment's epochs). */
  rungs?: Rung[];
  /** Configurations it has once every candidate is known (halving: one per candidate and rung). */
  planned: number;
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

/** The strategies a pipeline may name. */
const strategies: readonly Strategy[] = ["random", "tpe", "halving"];

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
  ctx: {
    models: ModelRegistry;
    validationSplit: number;
    epochs: number;
    earlyStopping: boolean;
    diagnostics: Diagnostic[];
  },
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
  const strategy = s.strategy.value as Strategy;
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
  const rungs = strategy === "halving" ? halvingOf(s, sweeps, count, ctx) : undefined;
  if (diagnostics.length > before) return null;
  const planned = rungs ? rungs.reduce((n, r) => n + r.candidates, 0) : count;
  return {
    spec: { strategy, count, ...(rungs ? { rungs } : {}), planned, metric, higher, space, span: s.span },
    read,
  };
}

/**
 * Successive halving's rungs for N candidates up to the experiment's epochs, or the faults that
 * keep it from having two: epochs swept (halving gives each candidate its epochs), early stopping
 * (its runs continue from rung to rung), too few candidates or epochs.
 */
function halvingOf(
  s: Of<"search">,
  sweeps: Of<"sweep">[],
  count: number,
  ctx: { epochs: number; earlyStopping: boolean; diagnostics: Diagnostic[] },
): Rung[] | undefined {
  const epochs = sweeps.find((w) => w.names.some((n) => n.value === "epochs"));
  if (epochs)
    ctx.diagnostics.push(
      error(
        "E141",
        epochs.span,
        "successive halving gives each candidate its epochs: it cannot sweep them",
        "Set `epochs N`, the most a candidate trains; halving starts the candidates at fewer.",
      ),
    );
  if (ctx.earlyStopping)
    ctx.diagnostics.push(
      error(
        "E141",
        s.strategy.span,
        "successive halving continues its candidates' runs from rung to rung, which early stopping would end",
        "Remove early_stopping from this experiment, or search with random or tpe.",
      ),
    );
  const rungs = halvingRungs(count, ctx.epochs);
  if (rungs.length < 2)
    ctx.diagnostics.push(
      error(
        "E137",
        s.count.span,
        `successive halving of ${count} candidates over ${ctx.epochs} epochs has one rung: it would be a random search`,
        "It needs 3 or more candidates and 3 or more epochs: the best third go on at three times the epochs.",
      ),
    );
  return rungs;
}

/** TPE proposes this many candidates at a time, each batch from every candidate before it. */
export const TPE_BATCH = 4;

/** A known candidate: its point, and with successive halving the epochs of its rung. */
export interface KnownRow {
  point: Point;
  epochs?: number;
}

/**
 * Which candidates are known, and their points: random search's all of them, from
 * the pipeline's seed; TPE's its random start, then a batch of TPE_BATCH at a time once every
 * candidate before the batch has finished (its score in `observed`), proposed from those scores;
 * successive halving's first rung, then each next rung's once the one before has finished.
 * The same seed and scores give the same candidates, whatever the number of workers.
 */
export function knownRows(spec: SearchSpec, seed: number, observed: (number | null)[]): KnownRow[] {
  if (spec.strategy === "halving" && spec.rungs) return halvingRows(spec, spec.rungs, seed, observed);
  return knownPoints(spec, seed, observed).map((point) => ({ point }));
}

const finished = (scores: (number | null | undefined)[]) =>
  scores.every((v) => v !== null && v !== undefined && Number.isFinite(v));

function knownPoints(spec: SearchSpec, seed: number, observed: (number | null)[]): Point[] {
  const points: Point[] = [];
  const first = spec.strategy === "tpe" ? Math.min(spec.count, STARTUP) : spec.count;
  for (let k = 0; k < first; k++) points.push(candidatePoint(spec.space, spec.strategy, k, [], seed));
  while (points.length < spec.count) {
    const scores = observed.slice(0, points.length);
    if (scores.length < points.length || !finished(scores)) break;
    const observations: Observation[] = points.map((point, i) => ({ point, score: scores[i] as number }));
    const end = Math.min(spec.count, points.length + TPE_BATCH);
    for (let k = points.length; k < end; k++)
      points.push(candidatePoint(spec.space, spec.strategy, k, observations, seed));
  }
  return points;
}

/**
 * Successive halving's rows, rung by rung: every candidate at the first rung's epochs; then, once
 * a rung's rows all have scores, its best (lowest score; the earlier candidate on a tie) at the
 * next rung's epochs, in the order of the candidates. A candidate's rows share its run.
 */
function halvingRows(spec: SearchSpec, rungs: Rung[], seed: number, observed: (number | null)[]): KnownRow[] {
  const [first] = rungs;
  if (!first) return [];
  const points = Array.from({ length: spec.count }, (_, k) =>
    candidatePoint(spec.space, "halving", k, [], seed),
  );
  let rung = points.map((_, k) => k);
  const rows: KnownRow[] = rung.map((k) => ({ point: points[k] as Point, epochs: first.epochs }));
  for (const next of rungs.slice(1)) {
    const at = rows.length - rung.length;
    const scores = observed.slice(at, rows.length);
    if (scores.length < rung.length || !finished(scores)) break;
    const order = rung.map((k, i) => ({ k, score: scores[i] as number }));
    order.sort((a, b) => a.score - b.score || a.k - b.k);
    rung = order
      .slice(0, next.candidates)
      .map((o) => o.k)
      .sort((a, b) => a - b);
    for (const k of rung) rows.push({ point: points[k] as Point, epochs: next.epochs });
  }
  return rows;
}

/** The candidates known so far as one axis of the experiment: a tuple sweep whose rows were sampled. */
export function candidateAxis(
  search: { spec: SearchSpec; read: Read[] },
  at: { seed: number; observed: (number | null)[] },
  models: ModelRegistry,
  diagnostics: Diagnostic[],
): ReadAxis | null {
  return axisOf(search, knownRows(search.spec, at.seed, at.observed), models, diagnostics);
}

/** Rows of points (and halving's epochs) as one axis of the experiment, or null after an error. */
function axisOf(
  search: { spec: SearchSpec; read: Read[] },
  known: KnownRow[],
  models: ModelRegistry,
  diagnostics: Diagnostic[],
): ReadAxis | null {
  const { spec, read } = search;
  const rows: AxisEntry[][] = [];
  for (const { point, epochs } of known) {
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
    if (epochs !== undefined) {
      const e = readEntry(
        "epochs",
        { kind: "number", value: epochs, raw: String(epochs), span: spec.span },
        models,
      );
      if (isDiagnostic(e)) {
        diagnostics.push(e);
        return null;
      }
      row.push(e);
    }
    rows.push(row);
  }
  // Successive halving's rungs are one more column: the epochs each row trains.
  const halving = spec.strategy === "halving";
  return {
    names: [...read.map((r) => r.dimension.name as SweepName), ...(halving ? ["epochs" as SweepName] : [])],
    nameSpans: [...read.map((r) => r.sweep.names[0]?.span ?? r.sweep.span), ...(halving ? [spec.span] : [])],
    rows,
    span: spec.span,
  };
}

/** At most this many corners of a space are checked (lists' combinations, each at both ends of the ranges). */
const CORNERS = 64;

/**
 * The space's corners as an axis: every combination of the lists' items (up to CORNERS), each
 * with all ranges at their low ends and at their high ends (halving's at its last rung). The
 * checker builds their configurations so that a candidate a search could propose later (a model
 * too large at the top of a `maps` range) is an error now, not mid-search.
 */
export function cornerAxis(
  search: { spec: SearchSpec; read: Read[] },
  models: ModelRegistry,
  diagnostics: Diagnostic[],
): ReadAxis | null {
  const { space, rungs } = search.spec;
  let lists: number[][] = [[]];
  for (const d of space) {
    const n = d.kind === "list" ? d.values.length : 1;
    lists = lists.flatMap((p) => Array.from({ length: n }, (_, i) => [...p, i])).slice(0, CORNERS);
  }
  const epochs = rungs?.[rungs.length - 1]?.epochs;
  const known: KnownRow[] = lists.flatMap((choice) =>
    [0, 1].map((end) => ({
      point: space.map((d, j) => (d.kind === "list" ? (choice[j] as number) : end)),
      ...(epochs !== undefined ? { epochs } : {}),
    })),
  );
  return axisOf(search, known, models, diagnostics);
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
