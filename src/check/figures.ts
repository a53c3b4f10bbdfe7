import { type Diagnostic, error } from "../diagnostics/diagnostic.js";
import type { Statement } from "../dsl/ast.js";
import { type Configuration, type Metric, metrics, type PublishedFigure } from "../model/index.js";
import { didYouMean } from "../util/suggest.js";
import type { ReadAxis } from "./axes.js";
import { findConfiguration } from "./select.js";
import { finite } from "./settings.js";

type Expect = Extract<Statement, { kind: "expect" }>;

/** Metrics a published figure can be about: what a table reports per configuration. */
const figureMetrics = metrics.filter((m) => m !== "stopped_epoch");

/**
 * Reads `expect METRIC VALUE [for NAME VALUE ...] [n N] [sd X]` statements: the metric, the
 * configuration the pairs select (the only one when there is one), and the figure's n and sd.
 * Every problem is reported (E115, E128); a figure with one is left out.
 */
export function readFigures(
  expects: Expect[],
  source: string,
  axes: ReadAxis[],
  configs: Configuration[],
  diagnostics: Diagnostic[],
): PublishedFigure[] {
  const out: PublishedFigure[] = [];
  for (const x of expects) {
    if (!(figureMetrics as readonly string[]).includes(x.metric.value)) {
      diagnostics.push(
        error(
          "E115",
          x.metric.span,
          `unknown metric '${x.metric.value}'`,
          didYouMean(x.metric.value, figureMetrics),
        ),
      );
      continue;
    }
    let n: number | null = null;
    let sd: number | null = null;
    let ok = true;
    const selectors: { name: string; value: Expect["pairs"][number]["value"] }[] = [];
    for (const { key, value } of x.pairs) {
      if (key.value === "n" || key.value === "sd") {
        const v = value.kind === "number" ? value.value : Number.NaN;
        const valid = key.value === "n" ? Number.isSafeInteger(v) && v >= 1 : v >= 0 && Number.isFinite(v);
        if (!valid) {
          diagnostics.push(
            error(
              "E128",
              value.span,
              key.value === "n" ? "n is a whole number of runs, at least 1" : "sd is a number >= 0",
            ),
          );
          ok = false;
        } else if (key.value === "n") n = v;
        else sd = v;
      } else selectors.push({ name: key.value, value });
    }
    const huge = finite(x.figure, "the figure");
    if (huge) {
      diagnostics.push(huge);
      ok = false;
    }
    if (!ok) continue;
    let configuration: number | null = 0;
    if (selectors.length > 0)
      configuration = findConfiguration(selectors, x.span, axes, configs, diagnostics, "E128");
    else if (configs.length > 1) {
      diagnostics.push(
        error(
          "E128",
          x.span,
          `this experiment has ${configs.length} configurations: say which one the figure is for`,
          `Add e.g. \`for ${axes[0]?.names[0] ?? "NAME"} VALUE\`.`,
        ),
      );
      configuration = null;
    }
    if (configuration === null) continue;
    out.push({
      metric: x.metric.value as Metric,
      value: x.figure.value,
      configuration,
      n,
      sd,
      text: source.slice(x.span.offset, x.span.endOffset + 1),
    });
  }
  return out;
}
