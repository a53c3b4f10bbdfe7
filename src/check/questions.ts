import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import type { Statement } from "../dsl/ast.js";
import { type Configuration, higherIsBetter, type Metric, metrics, type Question } from "../model/index.js";
import { didYouMean } from "../util/suggest.js";
import { finite } from "./settings.js";

const modes = ["min", "max", "best"] as const;
const ops = [">=", ">", "<=", "<", "==", "!="] as const;
const directions: Record<string, boolean> = { highest: true, max: true, lowest: false, min: false };

/** What the questions ask of an experiment's configurations, found in one pass and kept. */
interface Facts {
  someWithoutValidation: boolean;
  someWithoutEarlyStopping: boolean;
  someNotEvaluatedEachEpoch: boolean;
  /** Swept names whose values are numbers in every configuration. */
  numeric: Set<string>;
}

const known = new WeakMap<Configuration[], Facts>();

/** The facts of `configs`, worked out once however many questions an experiment asks. */
function factsOf(configs: Configuration[]): Facts {
  let f = known.get(configs);
  if (f) return f;
  const names = new Set(configs.flatMap((c, i) => (i === 0 ? Object.keys(c.values) : [])));
  f = {
    someWithoutValidation: configs.some((c) => c.training.validationSplit === 0),
    someWithoutEarlyStopping: configs.some((c) => c.training.earlyStopping === null),
    someNotEvaluatedEachEpoch: configs.some((c) => c.training.evaluateEvery !== 1),
    numeric: new Set([...names].filter((n) => configs.every((c) => typeof c.values[n] === "number"))),
  };
  known.set(configs, f);
  return f;
}

function readMetric(
  name: { value: string; span: Span },
  configs: Configuration[],
  diagnostics: Diagnostic[],
): Metric | null {
  if (!(metrics as readonly string[]).includes(name.value)) {
    diagnostics.push(
      error("E115", name.span, `unknown metric '${name.value}'`, didYouMean(name.value, metrics)),
    );
    return null;
  }
  const metric = name.value as Metric;
  if (metric.startsWith("val.") && factsOf(configs).someWithoutValidation) {
    diagnostics.push(
      error("E120", name.span, `'${metric}' needs validation data, which this experiment does not hold out`),
    );
    return null;
  }
  if (metric === "stopped_epoch" && factsOf(configs).someWithoutEarlyStopping) {
    diagnostics.push(
      error(
        "E115",
        name.span,
        "'stopped_epoch' needs early stopping",
        "Add `early_stopping monitor loss patience 2` or similar.",
      ),
    );
    return null;
  }
  return metric;
}

/** Reads `find min maps where test.accuracy >= 0.80` or `find best epochs by test.accuracy`. */
export function readQuestion(
  f: Extract<Statement, { kind: "find" }>,
  swept: Map<string, Span>,
  configs: Configuration[],
  diagnostics: Diagnostic[],
): Question | null {
  const mode = f.mode.value;
  if (!(modes as readonly string[]).includes(mode)) {
    diagnostics.push(error("E103", f.mode.span, `unknown question '${mode}'`, didYouMean(mode, modes)));
    return null;
  }
  const target = f.target.value;
  if (target === "epoch") return readEpochQuestion(f, configs, diagnostics);
  if (!swept.has(target)) {
    diagnostics.push(error("E116", f.target.span, `'${target}' is not swept in this experiment`));
    return null;
  }
  if (mode === "best") {
    if (!f.by) {
      diagnostics.push(
        error(
          "E002",
          f.span,
          "a 'best' question says by what",
          "Write e.g. `find best epochs by test.accuracy`.",
        ),
      );
      return null;
    }
    const metric = readMetric(f.by.metric, configs, diagnostics);
    if (!metric) return null;
    let higher = higherIsBetter(metric);
    const dir = f.by.direction;
    if (dir) {
      const d = directions[dir.value];
      if (d === undefined) {
        diagnostics.push(
          error(
            "E103",
            dir.span,
            `unknown direction '${dir.value}'`,
            didYouMean(dir.value, Object.keys(directions)),
          ),
        );
        return null;
      }
      higher = d;
    }
    const text = `best ${target} by ${metric}${dir ? ` ${dir.value}` : ""}`;
    return { kind: "best", target, metric, higherIsBetter: higher, text };
  }
  if (!f.where) {
    diagnostics.push(
      error(
        "E002",
        f.span,
        `a '${mode}' question needs a condition`,
        "Write e.g. `find min maps where test.accuracy >= 0.80`.",
      ),
    );
    return null;
  }
  const metric = readMetric(f.where.metric, configs, diagnostics);
  if (!metric) return null;
  const op = f.where.op.value as (typeof ops)[number];
  const v = f.where.value;
  if (v.kind !== "number") {
    diagnostics.push(error("E103", v.span, "the condition compares with a number"));
    return null;
  }
  const huge = finite(v, "the condition's value");
  if (huge) {
    diagnostics.push(huge);
    return null;
  }
  if (configs.length > 0 && !factsOf(configs).numeric.has(target)) {
    diagnostics.push(
      error("E103", f.target.span, `'${mode}' needs a numeric sweep; use 'best' for '${target}'`),
    );
    return null;
  }
  const text = `${mode} ${target} where ${metric} ${op} ${v.raw}`;
  return { kind: "threshold", mode: mode as "min" | "max", target, metric, op, value: v.value, text };
}

/**
 * `find best epoch by val.loss`: the epoch of each run's learning curve where the metric is best,
 * e.g. where validation stops improving. Only metrics recorded every epoch qualify.
 */
function readEpochQuestion(
  f: Extract<Statement, { kind: "find" }>,
  configs: Configuration[],
  diagnostics: Diagnostic[],
): Question | null {
  if (f.mode.value !== "best" || !f.by) {
    diagnostics.push(
      error("E103", f.mode.span, "ask about the epoch with 'best': `find best epoch by val.loss`"),
    );
    return null;
  }
  const metric = readMetric(f.by.metric, configs, diagnostics);
  if (!metric) return null;
  if (metric.startsWith("time.") || metric === "stopped_epoch") {
    diagnostics.push(error("E115", f.by.metric.span, `'${metric}' is not recorded per epoch`));
    return null;
  }
  if (metric.startsWith("test.") && factsOf(configs).someNotEvaluatedEachEpoch) {
    diagnostics.push(
      error(
        "E115",
        f.by.metric.span,
        `'${metric}' per epoch needs the test set evaluated every epoch`,
        "Add `evaluate_every 1`.",
      ),
    );
    return null;
  }
  const higher = higherIsBetter(metric);
  return { kind: "best", target: "epoch", metric, higherIsBetter: higher, text: `best epoch by ${metric}` };
}
