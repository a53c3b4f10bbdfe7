import type { PlannedExperiment } from "../plan/types.js";
import { metricKey, metricNames, show, showP } from "./format.js";
import type { FigureVerdict, Row } from "./schema.js";
import { predictionInterval, welchFromSummaries } from "./stats/index.js";

const inside = (x: number, i: [number, number] | null) => (i ? x >= i[0] && x <= i[1] : null);

/**
 * Each published figure against the runs of its configuration: inside the 95% prediction interval
 * of one run (a published figure is often one run), inside the 95% interval of the mean, and how
 * many run-to-run sds away. Reproduced means: not told apart from our runs by Welch's test when the
 * figure gives its n (> 1) and sd, else inside the prediction interval.
 */
export function figureVerdicts(e: PlannedExperiment, rows: Row[]): FigureVerdict[] {
  return e.figures.map((f): FigureVerdict => {
    const key = metricKey(f.metric);
    const row = rows[f.configuration];
    const s = row?.metrics[key];
    const base = {
      text: f.text,
      metric: key,
      value: f.value,
      configuration: f.configuration,
      label: row?.label ?? "",
      n: f.n,
      sd: f.sd,
    };
    const name = metricNames[key];
    if (!s)
      return {
        ...base,
        runs: 0,
        mean: null,
        prediction: null,
        interval: null,
        sds: null,
        p: null,
        reproduced: null,
        verdict: `no runs of ${row?.label} yet to check ${name} ${show(key, f.value)} against`,
      };
    const prediction = predictionInterval(s.mean, s.sd, s.n);
    const sds = s.sd > 0 ? (f.value - s.mean) / s.sd : null;
    const p =
      f.n !== null && f.sd !== null ? welchFromSummaries({ mean: f.value, sd: f.sd, n: f.n }, s) : null;
    const inPrediction = inside(f.value, prediction);
    const inMean = inside(f.value, s.ci95);
    const reproduced = p !== null ? p >= 0.05 : inPrediction;
    const where = [
      prediction
        ? `${inPrediction ? "inside" : "outside"} the 95% prediction interval of one run (${show(key, prediction[0])} to ${show(key, prediction[1])})`
        : null,
      s.ci95
        ? `${inMean ? "inside" : "outside"} the 95% interval of our mean (${show(key, s.ci95[0])} to ${show(key, s.ci95[1])})`
        : null,
      sds !== null
        ? `${Math.abs(sds).toFixed(1)} run-to-run sds ${sds >= 0 ? "above" : "below"} our mean of ${show(key, s.mean)}`
        : null,
      p !== null ? `Welch's t-test against its n = ${f.n}, sd ${show(key, f.sd ?? 0)}: ${showP(p)}` : null,
    ].filter((x) => x !== null);
    const said =
      reproduced === null ? "cannot be judged from one run" : reproduced ? "reproduced" : "not reproduced";
    return {
      ...base,
      runs: s.n,
      mean: s.mean,
      prediction,
      interval: s.ci95,
      sds,
      p,
      reproduced,
      verdict: `${said}: ${where.join("; ")}${s.n < 4 ? ` (with ${s.n} runs these intervals are wide: more repeats would sharpen the verdict)` : ""}`,
    };
  });
}

/** `7 of 9 published figures reproduced`, or null when the experiment states none. */
export function figuresSummary(vs: FigureVerdict[]): string | null {
  if (vs.length === 0) return null;
  const judged = vs.filter((v) => v.reproduced !== null);
  const yes = judged.filter((v) => v.reproduced).length;
  const open = vs.length - judged.length;
  return `${yes} of ${vs.length} published figure${vs.length === 1 ? "" : "s"} reproduced${open > 0 ? ` (${open} not judged yet)` : ""}`;
}
