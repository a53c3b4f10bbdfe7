import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import type { Value } from "../dsl/ast.js";
import { type ReadAxis, showSweepValue as show, shownValue } from "./axes.js";
import { isDiagnostic, type SweepName, scalarReaders } from "./settings.js";
import type { Configuration, SweepValue } from "./types.js";

/**
 * The configuration whose swept values are `wanted` (`maps 32`, `model final, epochs 25`), or null
 * after a diagnostic (`code`) that says what is wrong: a name not swept, a value of the wrong kind,
 * or no configuration with those values.
 */
export function findConfiguration(
  wanted: { name: string; value: Value }[],
  at: Span | undefined,
  axes: ReadAxis[],
  configs: Configuration[],
  diagnostics: Diagnostic[],
  code: "E123" | "E128",
): number | null {
  const names = new Set(axes.flatMap((a) => a.names));
  const target: Record<string, SweepValue> = {};
  for (const { name, value } of wanted) {
    if (!names.has(name as SweepName)) {
      diagnostics.push(error(code, value.span, `'${name}' is not swept in this experiment`));
      return null;
    }
    const read =
      name === "model"
        ? value.kind === "word"
          ? value.value
          : undefined
        : scalarReaders[name as Exclude<SweepName, "model">](value);
    if (read === undefined || isDiagnostic(read)) {
      diagnostics.push(isDiagnostic(read) ? read : error(code, value.span, "expected a model name"));
      return null;
    }
    target[name] = shownValue(read);
  }
  const i = configs.findIndex((c) => Object.entries(target).every(([k, v]) => c.values[k] === v));
  if (i < 0) {
    const wantedText = Object.entries(target)
      .map(([k, v]) => `${k} ${show(v)}`)
      .join(", ");
    if (at) diagnostics.push(error(code, at, `no configuration has ${wantedText}`));
    return null;
  }
  return i;
}
