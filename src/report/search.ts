import { showSweepValue } from "../check/axes.js";
import type { CheckedExperiment } from "../model/index.js";
import { columnOf } from "../model/index.js";
import { metricValues } from "../run/metrics.js";
import { halvingEpochs, STARTUP } from "../search/index.js";
import type { OkResult } from "../store/schema.js";
import { listed, metricNames, pm, pmn, show, showP } from "./format.js";
import type { ExperimentDraft, ExperimentReport, Row, SearchReport } from "./schema.js";
import { compare, detectable, holm, pooledSd } from "./stats/index.js";

type Space = NonNullable<CheckedExperiment["search"]>["space"][number];

/** A dimension of the space as written: `log [0.001..0.3]`, `[16, 32, 64]`. */
export function spaceText(d: Space): string {
  if (d.kind === "list") return `[${d.values.map(showSweepValue).join(", ")}]`;
  return `${d.log ? "log " : ""}[${d.lo}..${d.hi}]${d.integer ? " (whole numbers)" : ""}`;
}

/** The candidates' scores by the search's metric: each finished run's value, by row. */
function scoresOf(oks: OkResult[][], key: SearchReport["metric"]): number[][] {
  return oks.map((runs) => runs.map((r) => metricValues(r)[key]).filter((x): x is number => x !== undefined));
}

/**
 * What a search found, from its candidates' rows: the candidates best first, the best mean so far
 * in the order they were proposed, and the winner against every other candidate (Welch's t-test,
 * Holm over those comparisons), with the runner-up's comparison and the difference the repeats
 * could detect at their spread.
 */
export function searchOf(e: CheckedExperiment, rows: Row[], oks: OkResult[][]): SearchReport | null {
  const s = e.search;
  if (!s) return null;
  const key = columnOf(s.metric);
  const better = (a: number, b: number) => (s.higher ? a > b : a < b);
  const scores = scoresOf(oks, key);
  // Successive halving ranks its last rung's candidates (each trained every epoch); the earlier
  // rungs' rows are the same candidates at fewer epochs, listed after them.
  const last = s.rungs?.[s.rungs.length - 1]?.epochs;
  const ranks = (r: Row) => last === undefined || r.values.epochs === last;
  const same = (a: Row, b: Row) => s.space.every((d) => a.values[d.name] === b.values[d.name]);
  const candidates = rows.map((r) => ({
    row: r.index,
    order: last === undefined ? r.index + 1 : rows.findIndex((x) => same(x, r)) + 1,
    ranks: ranks(r),
    epochs: typeof r.values.epochs === "number" ? r.values.epochs : 0,
    phase: s.strategy === "tpe" && r.index >= STARTUP ? ("proposed" as const) : ("random" as const),
    label: r.label,
    values: r.values,
    metric: r.metrics[key] ?? null,
    failed: r.failed,
    complete: r.missing === 0 && !r.waiting,
  }));
  // A candidate that failed in a repeat is not ranked on the repeats that survived (nor by TPE).
  const scored = candidates.filter((c) => c.metric !== null && c.failed === 0 && c.ranks);
  const ranked = [...scored].sort((a, b) => {
    const x = a.metric?.mean ?? 0;
    const y = b.metric?.mean ?? 0;
    return x === y ? a.order - b.order : better(x, y) ? -1 : 1;
  });
  let best: number | null = null;
  const bestSoFar = candidates.flatMap((c) => {
    if (!c.metric || c.failed > 0 || !c.ranks) return [];
    if (best === null || better(c.metric.mean, best)) best = c.metric.mean;
    return [{ order: c.order, mean: c.metric.mean, best }];
  });
  const [winner, runnerUp] = ranked;
  let vsRunnerUp: SearchReport["vsRunnerUp"] = null;
  if (winner && runnerUp) {
    const mine = scores[winner.row] ?? [];
    const others = ranked.slice(1);
    const tests = others.map((o) => compare(mine, scores[o.row] ?? []));
    const adjusted = holm(tests.map((t) => t.p));
    const first = tests[0];
    const sd = pooledSd(ranked.map((c) => scores[c.row] ?? []));
    vsRunnerUp = {
      row: runnerUp.row,
      difference: first?.difference ?? null,
      p: first?.p ?? null,
      pAdjusted: adjusted[0] ?? null,
      significant: (adjusted[0] ?? 1) < 0.05,
      untestable: first?.untestable ?? null,
      comparisons: tests.filter((t) => t.p !== null).length,
      // The winner is best by its mean, so a difference beyond the noise is in its favour.
      beaten: adjusted.filter((p) => p !== null && p < 0.05).length,
      detectable: sd !== null ? detectable(sd, winner.metric?.n ?? e.repeat) : null,
      sd,
    };
  }
  return {
    strategy: s.strategy,
    ...(s.rungs ? { rungs: s.rungs } : {}),
    planned: s.planned,
    count: s.count,
    known: rows.length,
    scored: scored.length,
    complete: candidates.filter((c) => c.complete).length,
    metric: key,
    higher: s.higher,
    space: s.space.map((d) => ({
      name: d.name,
      text: spaceText(d),
      log: d.kind === "range" && d.log,
      list: d.kind === "list",
    })),
    candidates: [...ranked, ...unranked(candidates, scored, better)].map((c, i) => ({
      row: c.row,
      order: c.order,
      phase: c.phase,
      label: c.label,
      values: c.values,
      metric: c.metric,
      failed: c.failed,
      rank: scored.includes(c) ? i + 1 : null,
    })),
    bestSoFar,
    winner: winner ? winner.row : null,
    vsRunnerUp,
  };
}

/** The candidates not ranked: the earlier rungs' (the higher first, best first within one), then those without a score. */
function unranked<C extends { epochs: number; metric: { mean: number } | null }>(
  all: C[],
  scored: C[],
  better: (a: number, b: number) => boolean,
): C[] {
  const rest = all.filter((c) => !scored.includes(c));
  const score = (c: C) => c.metric?.mean;
  return [...rest].sort((a, b) => {
    if ((score(a) === undefined) !== (score(b) === undefined)) return score(a) === undefined ? 1 : -1;
    if (a.epochs !== b.epochs) return b.epochs - a.epochs;
    const [x, y] = [score(a) ?? 0, score(b) ?? 0];
    return x === y ? 0 : better(x, y) ? -1 : 1;
  });
}

/** A dimension in words: `learning_rate (log scale, 0.001 to 0.3)`, `batch (16, 32 or 64)`. */
function spaceWords(d: SearchReport["space"][number]): string {
  const list = /^\[(.*)\]$/.exec(d.text)?.[1];
  if (d.list && list) {
    const items = list.split(", ");
    return `${d.name} (${items.length < 2 ? items[0] : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`})`;
  }
  const [lo, hi] = /\[(.*)\.\.(.*)\]/.exec(d.text)?.slice(1) ?? [];
  return `${d.name} (${d.log ? "log scale, " : ""}${lo} to ${hi})`;
}

const strategyName = { random: "random", tpe: "TPE", halving: "successive halving" } as const;

/** Successive halving's rungs in words, and the epochs it trained against all candidates at the last rung's. */
function halvingWords(rungs: { candidates: number; epochs: number }[], count: number, repeat: number) {
  const last = rungs[rungs.length - 1]?.epochs ?? 0;
  const epochs = halvingEpochs(rungs) * repeat;
  const grid = count * last * repeat;
  return {
    rungs: listed(rungs.map((r) => `${r.candidates} at ${r.epochs} epoch${r.epochs === 1 ? "" : "s"}`)),
    epochs: epochs.toLocaleString("en-US"),
    grid: grid.toLocaleString("en-US"),
    share: `${Math.round((100 * epochs) / grid)}%`,
    alone: (rungs[rungs.length - 1]?.candidates ?? 0) < 2,
  };
}

/** What a conclusion says of a search: what was searched and how, the winner and how sure it is. */
export function searchView(r: ExperimentDraft) {
  const s = r.search;
  if (!s) return null;
  const key = s.metric;
  const cand = (row: number | null) => s.candidates.find((c) => c.row === row);
  const winner = cand(s.winner);
  const v = s.vsRunnerUp;
  const second = v ? cand(v.row) : undefined;
  const bestOf = (phase: "random" | "proposed") => {
    const xs = s.candidates.filter((c) => c.phase === phase && c.metric);
    const top = xs[0]?.metric;
    return top ? { n: xs.length, best: show(key, top.mean) } : null;
  };
  const interval = winner?.metric?.ci95;
  return {
    strategy: strategyName[s.strategy],
    tpe: s.strategy === "tpe",
    halving: s.rungs ? halvingWords(s.rungs, s.count, r.repeat) : null,
    space: listed(s.space.map(spaceWords)),
    count: s.count,
    repeats: `${r.repeat} repeat${r.repeat === 1 ? "" : "s"}`,
    scored: s.scored,
    finished: s.complete === s.planned,
    metric: metricNames[key],
    direction: s.higher ? "higher" : "lower",
    winner:
      winner?.metric !== null && winner?.metric !== undefined
        ? {
            label: winner.label,
            value: pmn(key, winner.metric),
            interval: interval ? `${show(key, interval[0])} to ${show(key, interval[1])}` : null,
          }
        : null,
    runnerUp:
      v && second?.metric
        ? {
            label: second.label,
            value: pmn(key, second.metric),
            difference: show(key, Math.abs(v.difference ?? 0)),
            p: v.p !== null ? showP(v.p) : null,
            pAdjusted: v.pAdjusted !== null ? showP(v.pAdjusted) : null,
            significant: v.significant,
            untestable: v.untestable,
            comparisons: v.comparisons,
            several: v.comparisons > 1,
            beaten: v.beaten,
            others: s.scored - 1,
            sd: v.sd !== null ? show(key, v.sd) : null,
            detectable: v.detectable !== null ? show(key, v.detectable) : null,
          }
        : null,
    random: s.strategy === "tpe" ? bestOf("random") : null,
    proposed: s.strategy === "tpe" ? bestOf("proposed") : null,
  };
}

/** The search's candidates as a table, best first: rank, order tried, how, each setting, the score. */
export function searchTableOf(e: Pick<ExperimentReport, "search" | "rows" | "repeat">): {
  caption: string;
  header: string[];
  rows: string[][];
} | null {
  const s = e.search;
  if (!s) return null;
  const key = s.metric;
  const test = key !== "test.accuracy";
  const header = [
    "rank",
    "candidate",
    "from",
    ...s.space.map((d) => d.name),
    ...(s.rungs ? ["epochs"] : []),
    `${metricNames[key]} (mean ± sd)`,
    "95% interval",
    ...(test ? ["test accuracy (mean ± sd)"] : []),
  ];
  const rows = s.candidates.map((c) => {
    const m = c.metric;
    const t = e.rows[c.row]?.metrics["test.accuracy"];
    return [
      c.rank === null ? "–" : String(c.rank),
      `${c.order}${c.row === s.winner ? " (winner)" : ""}`,
      c.phase === "random" ? "random" : "TPE",
      ...s.space.map((d) => showSweepValue(c.values[d.name] ?? "")),
      ...(s.rungs ? [showSweepValue(c.values.epochs ?? "")] : []),
      c.failed > 0
        ? `failed in ${c.failed} repeat${c.failed === 1 ? "" : "s"}`
        : m
          ? pmn(key, m)
          : "not finished",
      m?.ci95 ? `${show(key, m.ci95[0])} to ${show(key, m.ci95[1])}` : "–",
      ...(test ? [t ? pm("test.accuracy", t) : "–"] : []),
    ];
  });
  const how = strategyName[s.strategy];
  return {
    caption: `The ${s.known} ${s.rungs ? "candidate rungs" : "candidates"} of a ${how} search of ${s.count}, best first by ${metricNames[key]} (${s.higher ? "higher" : "lower"} is better), ${e.repeat} repeat${e.repeat === 1 ? "" : "s"} each`,
    header,
    rows,
  };
}
