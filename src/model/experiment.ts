import type { Span } from "../diagnostics/diagnostic.js";
import type { AnswerUse } from "../dsl/ast.js";
import type { Backend } from "./backends.js";
import type { DataSpec } from "./data.js";
import type { Metric } from "./metrics.js";
import type { ModelSpec } from "./model.js";
import type { TrainingSpec } from "./training.js";

/** A value a sweep can take, as the report shows it. */
export type SweepValue = number | string | boolean;

/** One row of an experiment: a model and its training settings. */
export interface Configuration {
  /** 0-based position in the experiment. */
  index: number;
  /** `maps 16, epochs 5`, or `baseline` when nothing is swept. */
  label: string;
  /** The swept names and their values for this row, in sweep order. */
  values: Record<string, SweepValue>;
  model: ModelSpec;
  training: TrainingSpec;
  data: DataSpec;
  backend: Backend;
  /** Seed of the first repeat; repeat r uses seed + r. */
  seed: number;
  /** The values that are other experiments' answers (`epochs from "6.2"`), usually none. */
  uses: { name: string; value: SweepValue; from: AnswerUse }[];
  /** One of them has no answer yet: its value is a stand-in, and the configuration is not trained. */
  waiting: boolean;
}

/** A question the report answers: `find min maps where test.accuracy >= 0.80`. */
export type Question =
  | {
      kind: "threshold";
      mode: "min" | "max";
      target: string;
      metric: Metric;
      op: ">=" | ">" | "<=" | "<" | "==" | "!=";
      value: number;
      text: string;
    }
  | {
      kind: "best";
      target: string;
      metric: Metric;
      higherIsBetter: boolean;
      text: string;
      /** Asked by a search of each setting it samples (its best candidate's), not written as a `find`. */
      implied?: boolean;
    };

/** A published figure the report checks the results against: `expect test.accuracy 0.8835 for ...`. */
export interface PublishedFigure {
  metric: Metric;
  value: number;
  /** The configuration it is for (its index). */
  configuration: number;
  /** The runs it came from and their standard deviation, when the source gives them. */
  n: number | null;
  sd: number | null;
  /** As written, for the report. */
  text: string;
}

/** A swept axis: one sweep statement (several names when it sweeps tuples). */
export interface Axis {
  names: string[];
  /** Each item's values, one per name. */
  values: SweepValue[][];
  span: Span;
}

export interface CheckedExperiment {
  /** 1-based number in file order. */
  number: number;
  title: string;
  /** URL-safe, unique in the file. */
  slug: string;
  span: Span;
  axes: Axis[];
  /** What is held fixed, as `name: shown value`, in a stable order. */
  fixed: Record<string, string>;
  configurations: Configuration[];
  repeat: number;
  questions: Question[];
  notes: string[];
  /** Index of the configuration the others are compared to. */
  baseline: number;
  /** Published figures to reproduce. */
  figures: PublishedFigure[];
  /** With a `search`: how its configurations (the candidates known so far) are sampled. */
  search?: ExperimentSearch;
}

/** An experiment's search, as the checker read it (check/search.ts). */
export interface ExperimentSearch {
  strategy: "random" | "tpe" | "halving";
  count: number;
  /** Successive halving's rungs: how many candidates train how many epochs at each. */
  rungs?: { candidates: number; epochs: number }[];
  /** Configurations it has once every candidate is known (halving: one per candidate and rung). */
  planned: number;
  metric: Metric;
  higher: boolean;
  space: (
    | { name: string; kind: "range"; lo: number; hi: number; log: boolean; integer: boolean }
    | { name: string; kind: "list"; values: SweepValue[] }
  )[];
  span: Span;
}

/** The checker's output: everything the planner needs, with no syntax left in it. */
export interface CheckedPipeline {
  file: string;
  source: string;
  experiments: CheckedExperiment[];
  /** Which experiments use which others' answers. */
  dependencies: Dependency[];
}

/** A question's answer, as the report computed it from finished results. */
export interface Answer {
  /** Null while there is none (no results yet, or no value tried meets the condition). */
  value: SweepValue | null;
  /** How it was reached (`the best epoch by val.loss, mean of 5 runs`), or why there is none. */
  detail: string;
}

/**
 * A search's finished candidates, by experiment title: each candidate's score (its metric's mean
 * over its repeats, lower better: a metric to maximise is negated), null while it is unfinished.
 */
export type Observed = Map<string, (number | null)[]>;

/** Known answers: experiment title, then the question's target (`epoch`, `maps`, ...). */
export type Answers = Map<string, Map<string, Answer>>;

/** Experiment `from` uses the answer of experiment `to` (titles). */
export interface Dependency {
  from: string;
  to: string;
  /** The setting or swept name the answer is for. */
  name: string;
  /** The question, as written: `find best epoch by val.loss`. */
  question: string;
  /** The question's target. */
  target: string;
  span: Span;
}
