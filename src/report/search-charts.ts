import type * as vl from "vega-lite";
import { showSweepValue } from "../check/axes.js";
import { listed, metricNames, show } from "./format.js";
import type { Chart, ExperimentDraft, SearchReport } from "./schema.js";
import { base, svgOf } from "./vega.js";

/**
 * A search's charts: its metric against each setting it samples (a log axis where it samples on
 * a log scale), the best mean so far against the candidates tried, and every candidate across
 * all its settings at once (parallel coordinates).
 */

const winnerColour = "#a4261c";
const colours = { random: "#6b7280", proposed: "#1f6feb" };

type Candidate = SearchReport["candidates"][number];
const scored = (s: SearchReport) =>
  s.candidates.filter(
    (c): c is Candidate & { metric: NonNullable<Candidate["metric"]> } => c.metric !== null,
  );

/** The metric (mean ± sd over the repeats) against one setting. */
async function settingChart(s: SearchReport, d: SearchReport["space"][number]): Promise<Chart | null> {
  const name = metricNames[s.metric];
  const points = scored(s).map((c) => {
    const v = c.values[d.name];
    return {
      x: typeof v === "number" ? v : showSweepValue(v ?? ""),
      mean: c.metric.mean,
      lo: c.metric.mean - c.metric.sd,
      hi: c.metric.mean + c.metric.sd,
      who: c.row === s.winner ? "the winner" : c.phase === "random" ? "random" : "proposed by TPE",
      label: c.label,
    };
  });
  if (points.length < 2) return null;
  const x = d.list
    ? { field: "x", type: "ordinal" as const, title: d.name }
    : {
        field: "x",
        type: "quantitative" as const,
        title: `${d.name}${d.log ? " (log scale)" : ""}`,
        scale: d.log ? { type: "log" as const } : { zero: false },
      };
  const who = ["random", "proposed by TPE", "the winner"].filter((w) => points.some((p) => p.who === w));
  const spec: vl.TopLevelSpec = {
    ...base,
    height: 220,
    description: `${name} against ${d.name}`,
    data: { values: points },
    layer: [
      {
        mark: { type: "rule", opacity: 0.5 },
        encoding: {
          x,
          y: { field: "lo", type: "quantitative", title: `${name} (mean ± sd)`, scale: { zero: false } },
          y2: { field: "hi" },
          color: {
            field: "who",
            type: "nominal",
            legend: null,
            scale: { domain: who, range: who.map(colourOf) },
          },
        },
      },
      {
        mark: { type: "point", filled: true, size: 60 },
        encoding: {
          x,
          y: { field: "mean", type: "quantitative", scale: { zero: false } },
          color: {
            field: "who",
            type: "nominal",
            title: "candidate",
            scale: { domain: who, range: who.map(colourOf) },
          },
          tooltip: [{ field: "label" }, { field: "mean", format: ".4f" }],
        },
      },
    ],
  };
  const top = points.find((p) => p.who === "the winner");
  return {
    kind: "search-setting",
    title: `${cap(name)} against ${d.name}`,
    description: `The mean ${name} (± sd over the repeats) of ${points.length} candidates against their ${d.name}, sampled from ${d.text}${top ? `; the winner's (red) is ${showSweepValue(top.x)}` : ""}.`,
    svg: await svgOf(spec),
  };
}

function colourOf(who: string): string {
  return who === "the winner" ? winnerColour : who === "random" ? colours.random : colours.proposed;
}

/** Each candidate's mean in the order tried, and the best mean up to it. */
async function progressChart(s: SearchReport): Promise<Chart | null> {
  if (s.bestSoFar.length < 2) return null;
  const name = metricNames[s.metric];
  const phase = new Map(
    s.candidates.map((c) => [c.order, c.phase === "random" ? "random" : "proposed by TPE"]),
  );
  const values = s.bestSoFar.map((b) => ({ ...b, who: phase.get(b.order) ?? "random" }));
  const who = ["random", "proposed by TPE"].filter((w) => values.some((v) => v.who === w));
  const x = {
    field: "order",
    type: "quantitative" as const,
    title: "candidate (in the order tried)",
    axis: { tickMinStep: 1 },
  };
  const spec: vl.TopLevelSpec = {
    ...base,
    height: 240,
    description: `Best ${name} so far against candidates tried`,
    data: { values },
    layer: [
      {
        mark: { type: "line", interpolate: "step-after", color: winnerColour },
        encoding: {
          x,
          y: { field: "best", type: "quantitative", title: `${name} (mean)`, scale: { zero: false } },
        },
      },
      {
        mark: { type: "point", filled: true, size: 45 },
        encoding: {
          x,
          y: { field: "mean", type: "quantitative" },
          color: {
            field: "who",
            type: "nominal",
            title: "candidate",
            scale: { domain: who, range: who.map(colourOf) },
          },
        },
      },
    ],
  };
  const last = s.bestSoFar[s.bestSoFar.length - 1];
  const found = s.bestSoFar.find((b) => b.mean === last?.best);
  return {
    kind: "search-progress",
    title: `The best ${name} so far against the candidates tried`,
    description: `The line is the best mean ${name} among the candidates up to each; the points are each candidate's mean. The best, ${last ? show(s.metric, last.best) : ""}, came at candidate ${found?.order ?? ""} of ${s.bestSoFar.length}.`,
    svg: await svgOf(spec),
  };
}

/** Where a candidate's value stands on a setting's axis, from 0 (its low end) to 1. */
function position(d: SearchReport["space"][number], v: unknown): number {
  if (d.list) {
    const items = /^\[(.*)\]$/.exec(d.text)?.[1]?.split(", ") ?? [];
    const k = items.indexOf(showSweepValue(v as string | number | boolean));
    return items.length < 2 ? 0.5 : Math.max(0, k) / (items.length - 1);
  }
  const [lo = 0, hi = 1] = (/\[(.*)\.\.(.*)\]/.exec(d.text)?.slice(1) ?? []).map(Number);
  const x = Number(v);
  const f = d.log ? (t: number) => Math.log(t) : (t: number) => t;
  return hi === lo ? 0.5 : (f(x) - f(lo)) / (f(hi) - f(lo));
}

/** Every candidate as a line across its settings and its score, coloured by the score. */
async function parallelChart(s: SearchReport): Promise<Chart | null> {
  const cs = scored(s);
  if (cs.length < 2 || s.space.length < 2) return null;
  const name = metricNames[s.metric];
  const means = cs.map((c) => c.metric.mean);
  const lo = Math.min(...means);
  const hi = Math.max(...means);
  const axes = [...s.space.map((d) => d.name), name];
  const values = cs.flatMap((c) => [
    ...s.space.map((d) => ({
      candidate: c.order,
      axis: d.name,
      at: position(d, c.values[d.name]),
      score: c.metric.mean,
      shown: showSweepValue(c.values[d.name] ?? ""),
    })),
    {
      candidate: c.order,
      axis: name,
      at: hi === lo ? 0.5 : (c.metric.mean - lo) / (hi - lo),
      score: c.metric.mean,
      shown: show(s.metric, c.metric.mean),
    },
  ]);
  // Each axis' ends, written at its top and bottom.
  const ends = [
    ...s.space.flatMap((d) => {
      const list = /^\[(.*)\]$/.exec(d.text)?.[1];
      const items = d.list && list ? list.split(", ") : (/\[(.*)\.\.(.*)\]/.exec(d.text)?.slice(1) ?? []);
      return [
        { axis: d.name, at: 0, text: items[0] ?? "" },
        { axis: d.name, at: 1, text: items[items.length - 1] ?? "" },
      ];
    }),
    { axis: name, at: 0, text: show(s.metric, lo) },
    { axis: name, at: 1, text: show(s.metric, hi) },
  ];
  const x = {
    field: "axis",
    type: "nominal" as const,
    sort: axes,
    title: null,
    axis: { labelAngle: 0, domain: false, ticks: false, grid: true, orient: "top" as const },
  };
  const y = { field: "at", type: "quantitative" as const, axis: null, scale: { domain: [-0.05, 1.05] } };
  const spec: vl.TopLevelSpec = {
    ...base,
    description: "Every candidate across its settings and its score",
    layer: [
      {
        data: { values },
        mark: { type: "line", strokeWidth: 1.5, opacity: 0.8 },
        encoding: {
          x,
          y,
          detail: { field: "candidate" },
          color: {
            field: "score",
            type: "quantitative",
            title: name,
            scale: { scheme: "viridis", reverse: !s.higher },
          },
          order: { field: "score" },
        },
      },
      {
        data: { values: ends },
        mark: { type: "text", dx: 4, align: "left", fontSize: 11, color: "#333" },
        encoding: { x, y, text: { field: "text" } },
      },
    ],
  };
  return {
    kind: "search-parallel",
    title: "Every candidate across its settings",
    description: `Parallel coordinates: each line is one of ${cs.length} candidates, through its ${listed(s.space.map((d) => `${d.name}${d.log ? " (log scale)" : ""}`))} and its mean ${name} (${show(s.metric, lo)} to ${show(s.metric, hi)}); brighter lines score better.`,
    svg: await svgOf(spec),
  };
}

const cap = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

/** The search's charts that have data to show. */
export async function searchCharts(_r: ExperimentDraft, s: SearchReport): Promise<Chart[]> {
  const charts = [
    await progressChart(s),
    ...(await Promise.all(s.space.map((d) => settingChart(s, d)))),
    await parallelChart(s),
  ];
  return charts.filter((c): c is Chart => c !== null);
}
