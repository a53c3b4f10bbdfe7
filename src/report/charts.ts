import type * as vl from "vega-lite";
import { showSweepValue } from "../check/axes.js";
import { metricNames } from "./format.js";
import type { Chart, ExperimentDraft } from "./schema.js";
import { searchCharts } from "./search-charts.js";
import { base, svgOf } from "./vega.js";

/** Test accuracy (mean, with ± sd bars) against the swept value. */
async function sweepChart(r: ExperimentDraft): Promise<Chart | null> {
  if (r.varied.length !== 1 || r.rows.length < 2) return null;
  const name = r.varied[0]?.name as string;
  const points = r.rows.flatMap((row) => {
    const s = row.metrics["test.accuracy"];
    const v = row.values[name];
    return s && v !== undefined
      ? [{ x: v, label: showSweepValue(v), mean: s.mean, lo: s.mean - s.sd, hi: s.mean + s.sd, n: s.n }]
      : [];
  });
  if (points.length < 2) return null;
  // Published test accuracies, beside the reproduced ones.
  const published = r.figures.flatMap((f) => {
    const v = r.rows[f.configuration]?.values[name];
    return f.metric === "test.accuracy" && v !== undefined
      ? [{ x: v, label: showSweepValue(v), mean: f.value }]
      : [];
  });
  // A question's bar on test accuracy (`find min maps where test.accuracy >= 0.80`), as a rule.
  const bars = r.answers.flatMap((a) => {
    const [, op = "", bar = ""] =
      /\bwhere test\.accuracy (>=|<=|>|<) (\d+(?:\.\d+)?)$/.exec(a.question) ?? [];
    return bar ? [{ bar: Number(bar), text: `${op.replace(">=", "≥").replace("<=", "≤")} ${bar}` }] : [];
  });
  const numeric = points.every((p) => typeof p.x === "number");
  const x = numeric
    ? {
        field: "x",
        type: "quantitative" as const,
        title: name,
        scale: { zero: false },
        axis: points.every((p) => Number.isInteger(p.x)) ? { tickMinStep: 1 } : {},
      }
    : { field: "label", type: "nominal" as const, title: name, sort: points.map((p) => p.label) };
  const y = {
    field: "mean",
    type: "quantitative" as const,
    title: "test accuracy (mean ± sd)",
    scale: { zero: false },
  };
  const spec: vl.TopLevelSpec = {
    ...base,
    description: `Test accuracy against ${name}`,
    data: { values: points },
    layer: [
      {
        mark: { type: "errorbar", ticks: true },
        encoding: {
          x,
          y: { field: "lo", type: "quantitative", title: y.title, scale: { zero: false } },
          y2: { field: "hi" },
        },
      },
      {
        mark: numeric ? { type: "line", point: true } : { type: "point", filled: true, size: 60 },
        encoding: { x, y },
      },
      ...bars.flatMap((b) => [
        {
          data: { values: [b] },
          mark: { type: "rule" as const, strokeDash: [6, 3], color: "#5b6068" },
          encoding: { y: { field: "bar", type: "quantitative" as const } },
        },
        {
          data: { values: [b] },
          mark: { type: "text" as const, align: "right" as const, dx: -4, dy: -6, color: "#5b6068" },
          encoding: {
            y: { field: "bar", type: "quantitative" as const },
            x: { value: "width" as const },
            text: { field: "text" },
          },
        },
      ]),
      ...(published.length > 0
        ? [
            {
              data: { values: published },
              mark: { type: "point" as const, shape: "diamond", filled: true, size: 110, color: "#a4261c" },
              encoding: { x, y },
            },
          ]
        : []),
    ],
  };
  const shownFigures =
    published.length > 0
      ? ` Published (red diamonds): ${published.map((p) => `${p.label} ${p.mean.toFixed(4)}`).join(", ")}.`
      : "";
  const shownBars = bars
    .map((b) => ` The dashed line is the question's bar, test accuracy ${b.text}.`)
    .join("");
  const desc = `Test accuracy against ${name}: ${points.map((p) => `${p.label} ${p.mean.toFixed(4)}`).join(", ")}.${shownFigures}${shownBars}`;
  return { kind: "sweep", title: `Test accuracy against ${name}`, description: desc, svg: await svgOf(spec) };
}

/** Per-epoch curves of one measure (loss or accuracy): train, test and validation, per configuration. */
async function curveChart(r: ExperimentDraft, what: "loss" | "accuracy"): Promise<Chart | null> {
  // A shared run's shorter jobs repeat the start of its longest one: draw each curve once.
  const same = (a: (typeof r.curves)[number], b: (typeof r.curves)[number]) =>
    a.epochs.every((e, i) => JSON.stringify(e) === JSON.stringify(b.epochs[i]));
  const curves = r.curves
    .filter((c) => c.epochs.length > 1)
    .filter((c) => !r.curves.some((o) => o !== c && o.epochs.length > c.epochs.length && same(c, o)))
    .slice(0, 8);
  if (curves.length === 0) return null;
  const values = curves.flatMap((c) =>
    c.epochs.flatMap((e) => [
      { configuration: c.label, split: "train", epoch: e.epoch, value: e.train[what] },
      ...(e.test ? [{ configuration: c.label, split: "test", epoch: e.epoch, value: e.test[what] }] : []),
      ...(e.val ? [{ configuration: c.label, split: "validation", epoch: e.epoch, value: e.val[what] }] : []),
    ]),
  );
  // Solid, long dashes, short dashes; only the splits the curves have (a legend entry for
  // validation data where there is none would mislead).
  const splits = [
    { split: "train", dash: [1, 0], style: "solid line" },
    { split: "test", dash: [8, 4], style: "long dashes" },
    { split: "validation", dash: [2, 2], style: "short dashes" },
  ].filter((x) => values.some((v) => v.split === x.split));
  // The lines carry the split's dash; the points, when few, are a layer of their own: on the
  // line mark itself they turn the dash legend into three identical dots.
  const spec: vl.TopLevelSpec = {
    ...base,
    description: `${what} per epoch`,
    data: { values },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
      y: { field: "value", type: "quantitative", title: what, scale: { zero: false } },
      color: {
        field: "configuration",
        type: "nominal",
        title: "configuration",
        sort: curves.map((c) => c.label),
        legend: { labelLimit: 320 },
      },
    },
    layer: [
      {
        mark: { type: "line" },
        encoding: {
          strokeDash: {
            field: "split",
            type: "nominal",
            title: "data",
            scale: { domain: splits.map((x) => x.split), range: splits.map((x) => x.dash) },
            legend: {
              symbolType: "stroke",
              symbolStrokeColor: "#444",
              symbolStrokeWidth: 2,
              symbolSize: 300,
            },
          },
        },
      },
      ...(values.length < 200
        ? [
            {
              mark: { type: "point" as const, filled: true, size: 16 },
              encoding: { detail: { field: "split" } },
            },
          ]
        : []),
    ],
  };
  const last = curves.map((c) => {
    const e = c.epochs[c.epochs.length - 1];
    return e
      ? `${c.label}: after epoch ${e.epoch} train ${e.train[what].toFixed(4)}${e.test ? `, test ${e.test[what].toFixed(4)}` : ""}${e.val ? `, validation ${e.val[what].toFixed(4)}` : ""}`
      : "";
  });
  return {
    kind: `curves-${what}`,
    title: `Learning curves: ${what} per epoch (mean over repeats)`,
    description: `${what} per epoch: ${splits.map((x) => `${x.split} (${x.style})`).join(", ")}. ${last.join("; ")}.`,
    svg: await svgOf(spec),
  };
}

/** Mean time per sample against mean test accuracy, one point per configuration. */
async function timeChart(r: ExperimentDraft): Promise<Chart | null> {
  const points = r.rows.flatMap((row) => {
    const t = row.metrics["time.per_sample"];
    const a = row.metrics["test.accuracy"];
    return t && a ? [{ label: row.label, ms: t.mean * 1000, accuracy: a.mean }] : [];
  });
  if (points.length < 2) return null;
  const spec: vl.TopLevelSpec = {
    ...base,
    description: "Time per sample against test accuracy",
    data: { values: points },
    layer: [
      {
        mark: { type: "point", filled: true, size: 70 },
        encoding: {
          x: {
            field: "ms",
            type: "quantitative",
            title: metricNames["time.per_sample"],
            scale: { zero: false },
          },
          y: {
            field: "accuracy",
            type: "quantitative",
            title: "test accuracy (mean)",
            scale: { zero: false },
          },
        },
      },
      {
        mark: { type: "text", align: "left", dx: 7, fontSize: 11 },
        encoding: {
          x: { field: "ms", type: "quantitative" },
          y: { field: "accuracy", type: "quantitative" },
          text: { field: "label" },
        },
      },
    ],
  };
  return {
    kind: "time-accuracy",
    title: "Time per sample against test accuracy",
    description: `Time per sample (ms) against test accuracy: ${points.map((p) => `${p.label} ${p.ms.toFixed(3)} ms, ${p.accuracy.toFixed(4)}`).join("; ")}.`,
    svg: await svgOf(spec),
  };
}

/** The experiment's charts, those that have data to show. */
export async function chartsOf(r: ExperimentDraft): Promise<Chart[]> {
  // A search's candidates are many settings at once: charts of their own.
  if (r.search) return searchCharts(r, r.search);
  const charts = [
    await sweepChart(r),
    await curveChart(r, "loss"),
    await curveChart(r, "accuracy"),
    await timeChart(r),
  ];
  return charts.filter((c): c is Chart => c !== null);
}
