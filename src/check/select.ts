import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import type { Value } from "../dsl/ast.js";
import type { Configuration, SweepValue } from "../model/index.js";
import { type ReadAxis, showSweepValue as show, shownValue } from "./axes.js";
import { isDiagnostic, type SweepName, scalarReaders } from "./settings.js";

/** For each set of names asked about: the first configuration with each combination of their values. */
const indexes = new WeakMap<Configuration[], Map<string, Map<string, number>>>();

/**
 * The first configuration with the values of `target` (-1 when none), by an index built once per
 * set of names: an experiment with many configurations and many selections stays linear.
 */
function indexOf(configs: Configuration[], target: Record<string, SweepValue>): number {
  const names = Object.keys(target).sort();
  const signature = JSON.stringify(names);
  let bySignature = indexes.get(configs);
  if (!bySignature) {
    bySignature = new Map();
    indexes.set(configs, bySignature);
  }
  let index = bySignature.get(signature);
  if (!index) {
    index = new Map();
    for (const [i, c] of configs.entries()) {
      const key = JSON.stringify(names.map((n) => c.values[n] ?? null));
      if (!index.has(key)) index.set(key, i);
    }
    bySignature.set(signature, index);
  }
  return index.get(JSON.stringify(names.map((n) => target[n]))) ?? -1;
}

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
  const i = indexOf(configs, target);
  if (i < 0) {
    const wantedText = Object.entries(target)
      .map(([k, v]) => `${k} ${show(v)}`)
      .join(", ");
    if (at) diagnostics.push(error(code, at, `no configuration has ${wantedText}`));
    return null;
  }
  return i;
}
