import { bounds } from "../bounds.js";
import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import type { AnswerUse, Statement, SweepItem, Value } from "../dsl/ast.js";
import type { SweepValue } from "../model/index.js";
import { didYouMean } from "../util/suggest.js";
import type { ModelRegistry, Template } from "./models.js";
import { finite, grouped, isDiagnostic, type SweepName, scalarReaders, sweepable } from "./settings.js";

/** One value of a sweep: what the checker uses, what the report shows, and where it was written. */
export interface AxisEntry {
  value: unknown;
  shown: SweepValue;
  span: Span;
  /** Set when the value is another experiment's answer. */
  from?: AnswerUse;
}

export interface ReadAxis {
  names: SweepName[];
  nameSpans: Span[];
  /** One row per item, one entry per name. */
  rows: AxisEntry[][];
  span: Span;
}

/** Most values one sweep may list or its ranges produce; more is almost surely a typo (and would never finish). */
export const maxRangeValues = bounds.sweepValues;

export const integerNames = new Set<SweepName>(["epochs", "maps", "batch"]);
export const numericNames = new Set<SweepName>([
  "epochs",
  "maps",
  "batch",
  "learning_rate",
  "momentum",
  "dropout",
  "validation_split",
]);

/** A swept value in words: on/off for booleans. */
export function showSweepValue(v: SweepValue | undefined): string {
  return typeof v === "boolean" ? (v ? "on" : "off") : String(v);
}

/** The value as a report shows it: numbers as numbers, on/off as booleans, the rest as text. */
export function shownValue(v: unknown): SweepValue {
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "object" && v !== null && "name" in v) return String((v as { name: string }).name);
  return String(v);
}

export function readEntry(name: SweepName, v: Value, models: ModelRegistry): AxisEntry | Diagnostic {
  const e = readValueOf(name, v, models);
  return !isDiagnostic(e) && v.kind !== "string" && v.kind !== "reference" && v.from
    ? { ...e, from: v.from }
    : e;
}

function readValueOf(name: SweepName, v: Value, models: ModelRegistry): AxisEntry | Diagnostic {
  if (name === "model") {
    if (v.kind !== "word") return error("E103", v.span, "a model sweep lists model names");
    if (!models.has(v.value))
      return error("E107", v.span, `model '${v.value}' is not defined`, models.suggest(v.value));
    const t: Template | null = models.get(v.value, v.span);
    // A model that could not be built was reported where it is defined.
    if (!t) return { value: null, shown: v.value, span: v.span };
    return { value: t, shown: v.value, span: v.span };
  }
  const read = scalarReaders[name](v);
  if (isDiagnostic(read)) return read;
  return { value: read, shown: read, span: v.span };
}

function rangeValues(name: SweepName, item: Extract<SweepItem, { kind: "range" }>): Value[] | Diagnostic {
  if (!numericNames.has(name))
    return error("E103", item.span, `'${name}' cannot take a range`, "List its values: [a, b, c].");
  const { from, to, step } = item;
  for (const v of [from, to, step]) {
    if (v && v.kind !== "number") return error("E103", v.span, "range ends and steps are numbers");
  }
  for (const v of [from, to, step]) {
    const bad = v?.kind === "number" ? finite(v, "a range end") : undefined;
    if (bad) return bad;
  }
  const a = from.kind === "number" ? from.value : 0;
  const b = to.kind === "number" ? to.value : 0;
  const s = step?.kind === "number" ? step.value : 1;
  if (integerNames.has(name) && ![a, b, s].every(Number.isInteger)) {
    return error("E103", item.span, `'${name}' takes whole numbers`);
  }
  if (!step && !(Number.isInteger(a) && Number.isInteger(b))) {
    return error("E103", item.span, "a range of fractions needs a step", "Write e.g. [0.1..0.5 step 0.1].");
  }
  if (!(s > 0)) return error("E105", step?.span ?? item.span, `the step must be above 0, not ${s}`);
  if (b < a) return error("E105", item.span, `the range runs backwards (${a} > ${b})`);
  const count = Math.floor((b - a) / s + 1e-9) + 1;
  if (count > maxRangeValues) {
    return error(
      "E119",
      item.span,
      `this range has ${grouped(count)} values; a sweep may have at most ${grouped(maxRangeValues)}`,
    );
  }
  const out: Value[] = [];
  for (let i = 0; i < count; i++) {
    const value = Number((a + i * s).toFixed(10));
    out.push({ kind: "number", value, raw: String(value), span: item.span });
  }
  return out;
}

/** Reads one sweep statement; reports every bad name and value, and returns null if any. */
export function readAxis(
  s: Extract<Statement, { kind: "sweep" }>,
  models: ModelRegistry,
  diagnostics: Diagnostic[],
): ReadAxis | null {
  const names: SweepName[] = [];
  let ok = true;
  for (const n of s.names) {
    if ((sweepable as readonly string[]).includes(n.value)) names.push(n.value as SweepName);
    else {
      diagnostics.push(error("E114", n.span, `cannot sweep '${n.value}'`, didYouMean(n.value, sweepable)));
      ok = false;
    }
  }
  if (!ok) return null;
  if (s.items.length === 0) {
    diagnostics.push(error("E105", s.span, "this sweep has no values"));
    return null;
  }
  const rows: AxisEntry[][] = [];
  let listed = 0;
  for (const item of s.items) {
    if (rows.length > maxRangeValues || listed > maxRangeValues) {
      diagnostics.push(
        error(
          "E119",
          s.span,
          `this sweep has more than ${grouped(maxRangeValues)} values; a sweep may have at most ${grouped(maxRangeValues)}`,
        ),
      );
      return null;
    }
    listed++;
    if (names.length > 1 || item.kind === "tuple") {
      const values = item.kind === "tuple" ? item.values : [];
      if (values.length !== names.length) {
        diagnostics.push(
          error("E121", item.span, `expected a tuple of ${names.length} values (${names.join(", ")})`),
        );
        ok = false;
        continue;
      }
      const row: AxisEntry[] = [];
      values.forEach((v, k) => {
        const e = readEntry(names[k] as SweepName, v, models);
        if (isDiagnostic(e)) {
          diagnostics.push(e);
          ok = false;
        } else row.push(e);
      });
      rows.push(row);
      continue;
    }
    const name = names[0] as SweepName;
    const values =
      item.kind === "range" ? rangeValues(name, item) : item.kind === "value" ? [item.value] : [];
    if (isDiagnostic(values)) {
      diagnostics.push(values);
      ok = false;
      continue;
    }
    for (const v of values) {
      const e = readEntry(name, v, models);
      if (isDiagnostic(e)) {
        diagnostics.push(e);
        ok = false;
        // A range's values share its place: its first bad one says enough.
        if (item.kind === "range") break;
      } else rows.push([e]);
    }
  }
  if (rows.length > maxRangeValues) {
    diagnostics.push(
      error(
        "E119",
        s.span,
        `this sweep has ${grouped(rows.length)} values; a sweep may have at most ${grouped(maxRangeValues)}`,
      ),
    );
    return null;
  }
  return ok ? { names, nameSpans: s.names.map((n) => n.span), rows, span: s.span } : null;
}
