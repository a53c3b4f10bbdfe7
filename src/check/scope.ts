import { bounds } from "../bounds.js";
import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import type { AnswerUse, Name, Statement } from "../dsl/ast.js";
import { didYouMean } from "../util/suggest.js";
import type { ModelRegistry, Template } from "./models.js";
import { noteTemplate } from "./notes.js";
import {
  grouped,
  isDiagnostic,
  isSettingName,
  readSetting,
  type SettingName,
  settingNames,
} from "./settings.js";

type Of<K extends Statement["kind"]> = Extract<Statement, { kind: K }>;

/** A setting's value and where it was stated. */
export interface Stated {
  value: unknown;
  span: Span;
  /** Set when the value is another experiment's answer. */
  from?: AnswerUse;
}

/** What one block (the file, or an experiment) states. */
export interface Scope {
  title?: Name;
  span: Span;
  settings: Map<SettingName, Stated>;
  /** The block's `model expr` statement: the model it uses. */
  modelUse?: { template: Template | null; span: Span };
  /** Models the block defines, in order. */
  defined: string[];
  sweeps: Of<"sweep">[];
  /** `search` statements (one at most, in an experiment). */
  searches: Of<"search">[];
  finds: Of<"find">[];
  notes: Of<"note">[];
  /** Published figures to reproduce. */
  expects: Of<"expect">[];
}

/** Text longer than `max` characters, as an error at its place (E134). */
export function tooLong(text: string, max: number, what: string, span: Span): Diagnostic | null {
  if (text.length <= max) return null;
  const n = [...text].length;
  if (n <= max) return null;
  return error("E134", span, `${what} may be at most ${grouped(max)} characters; this one has ${grouped(n)}`);
}

const statementWords = ["model", "sweep", "search", "find", "note", "expect", "experiment"];

/**
 * Reads one block's statements into a scope. Nested experiments are reported, not read; model
 * definitions were registered beforehand, so here they only count as the block's own.
 */
export function readScope(
  statements: Statement[],
  span: Span,
  models: ModelRegistry,
  diagnostics: Diagnostic[],
  title?: Name,
): Scope {
  const scope: Scope = {
    span,
    settings: new Map(),
    defined: [],
    sweeps: [],
    searches: [],
    finds: [],
    notes: [],
    expects: [],
  };
  if (title) scope.title = title;
  for (const s of statements) {
    switch (s.kind) {
      case "experiment":
        if (title)
          diagnostics.push(error("E118", s.span, "an experiment cannot be inside another experiment"));
        break;
      case "model":
        if (s.name) scope.defined.push(s.name.value);
        else if (scope.modelUse) {
          diagnostics.push(
            error(
              "E108",
              s.span,
              "this block already chose its model",
              "Use one `model` statement per block, or `sweep model [a, b]`.",
              [{ span: scope.modelUse.span, message: "model chosen here" }],
            ),
          );
        } else scope.modelUse = { template: models.fromExpr(s.expr), span: s.span };
        break;
      case "sweep":
        scope.sweeps.push(s);
        break;
      case "search":
        scope.searches.push(s);
        break;
      case "find":
        scope.finds.push(s);
        break;
      case "note": {
        const bad = tooLong(s.text, bounds.noteLength, "a note", s.span) ?? noteTemplate(s.text, s.span);
        if (bad) diagnostics.push(bad);
        else scope.notes.push(s);
        break;
      }
      case "expect":
        scope.expects.push(s);
        break;
      case "setting":
        readOneSetting(s, scope, diagnostics);
        break;
    }
  }
  return scope;
}

function readOneSetting(s: Of<"setting">, scope: Scope, diagnostics: Diagnostic[]): void {
  const name = s.name.value;
  if (!isSettingName(name)) {
    diagnostics.push(
      error(
        "E101",
        s.name.span,
        `unknown setting '${name}'`,
        didYouMean(name, [...settingNames, ...statementWords]),
      ),
    );
    return;
  }
  const earlier = scope.settings.get(name);
  if (earlier) {
    diagnostics.push(
      error("E108", s.name.span, `'${name}' is set twice in this block`, undefined, [
        { span: earlier.span, message: "first set here" },
      ]),
    );
    return;
  }
  const value = readSetting(name, s.args, s.name.span);
  if (isDiagnostic(value)) diagnostics.push(value);
  else {
    const from = s.args
      .map((a) => (a.kind === "string" || a.kind === "reference" ? undefined : a.from))
      .find((f) => f);
    scope.settings.set(name, from ? { value, span: s.span, from } : { value, span: s.span });
  }
}
