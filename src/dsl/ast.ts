import type { Span } from "../diagnostics/diagnostic.js";

/**
 * Where a value came from when it stands for another experiment's answer: check/references.ts
 * writes the answer (or, until there is one, a stand-in) in place of the `from "..."` reference.
 */
export interface AnswerUse {
  /** The answering experiment's title. */
  experiment: string;
  /** Its question, as written: `find best epoch by val.loss`. */
  question: string;
  /** False while the question has no answer: the value is a stand-in, never trained. */
  resolved: boolean;
  /** How the answer was reached, e.g. `the best epoch by val.loss, mean of 5 runs`. */
  detail: string;
}

/** A literal value as written, with where it was written. */
export type Value =
  | { kind: "number"; value: number; raw: string; span: Span; from?: AnswerUse }
  | { kind: "word"; value: string; span: Span; from?: AnswerUse }
  | { kind: "mask"; value: string; span: Span; from?: AnswerUse }
  | { kind: "string"; value: string; span: Span }
  /** `from "6.2 Early stopping"`: the answer of another experiment's question (see check/references). */
  | { kind: "reference"; experiment: Name; span: Span };

/** A name as written (setting, sweep, model, metric). */
export interface Name {
  value: string;
  span: Span;
}

/** `key=value` or a bare value inside a layer's parentheses: `conv32(activation=tanh, same)`. */
export interface LayerArg {
  key?: Name;
  value: Value;
  span: Span;
}

/** One word of a layer list: `conv32x5`, `pool`, `dense128(activation=tanh)`, or a model's name. */
export interface LayerRef {
  name: Name;
  args: LayerArg[];
  /** `residual(...)`'s layers. */
  inner?: LayerRef[];
  span: Span;
}

export type Modifier =
  | { kind: "mask"; mask: Value; span: Span }
  | { kind: "maps"; value: Value; span: Span }
  | { kind: "insert"; layers: LayerRef[]; after: Value; span: Span };

/** `conv32 pool dense10` or `main mask 1-0-1-1 insert dropout0.25 after 1`. */
export interface ModelExpr {
  terms: LayerRef[];
  modifiers: Modifier[];
  span: Span;
}

export type SweepItem =
  | { kind: "value"; value: Value; span: Span }
  | { kind: "range"; from: Value; to: Value; step?: Value; span: Span }
  | { kind: "tuple"; values: Value[]; span: Span };

export type Statement =
  /** `model NAME = expr` defines a model; `model expr` chooses the scope's model. */
  | {
      kind: "model";
      name?: Name;
      expr: ModelExpr;
      span: Span /** Had a syntax error (already reported). */;
      broken?: boolean;
    }
  /** `block NAME = layers`: a named sequence of layers that models use as one layer. */
  | { kind: "block"; name: Name; layers: LayerRef[]; span: Span }
  | { kind: "setting"; name: Name; args: Value[]; span: Span }
  /** `sweep learning_rate log [0.001..0.3]`: `scale` is the word before the brackets, if any. */
  | { kind: "sweep"; names: Name[]; scale?: Name; items: SweepItem[]; span: Span }
  /** `search tpe 24 by val.accuracy`: the experiment's sweeps become a space to sample. */
  | {
      kind: "search";
      strategy: Name;
      count: Extract<Value, { kind: "number" }>;
      metric: Name;
      direction?: Name;
      span: Span;
    }
  | {
      kind: "find";
      mode: Name;
      target: Name;
      where?: { metric: Name; op: Name; value: Value };
      by?: { metric: Name; direction?: Name };
      span: Span;
    }
  | { kind: "note"; text: string; span: Span }
  /** `expect test.accuracy 0.8835 for mask 1-0-1-1 n 1`: a published figure and whose it is. */
  | {
      kind: "expect";
      metric: Name;
      figure: Extract<Value, { kind: "number" }>;
      /** `NAME VALUE` pairs: the configuration's swept values, and the figure's `n` and `sd`. */
      pairs: { key: Name; value: Value }[];
      span: Span;
    }
  | { kind: "experiment"; title: Name; body: Statement[]; span: Span };

export interface Pipeline {
  /** The path the text came from, as given by the user. */
  file: string;
  statements: Statement[];
}

/** A value as the author wrote it (strings without their quotes). */
export function valueText(v: Value): string {
  if (v.kind === "number") return v.raw;
  if (v.kind === "reference") return `from ${JSON.stringify(v.experiment.value)}`;
  return v.value;
}
