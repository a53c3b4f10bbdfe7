import { showSweepValue } from "../check/axes.js";
import type { Dataset } from "../data/dataset.js";
import { formatSummary } from "../layers/summary.js";
import { namedSets } from "../model/datasets.js";
import type { CheckedExperiment, DataSpec } from "../model/index.js";
import { modelKey } from "../plan/plan.js";
import type { Plan, PlannedExperiment, PlannedModel } from "../plan/types.js";
import { metricValues } from "../run/metrics.js";
import type { OkResult, ResultFile } from "../store/schema.js";
import type { Stored } from "../store/store.js";
import { answersOf } from "./answers.js";
import { chartsOf } from "./charts.js";
import { type Conclusions, writeConclusions } from "./conclusions.js";
import { curvesOf, lossTurnOf } from "./curves.js";
import { figuresSummary, figureVerdicts } from "./figures.js";
import { imagesOf } from "./images.js";
import {
  type Environment,
  type ExperimentKind,
  type ExperimentReport,
  type MetricKey,
  metricKeys,
  type Row,
  type Study,
  type Summary,
  type Use,
} from "./schema.js";
import { searchOf, spaceText } from "./search.js";
import { compare, holm, summarize } from "./stats/index.js";

/** What kind of experiment this is, which picks its conclusion template. */
export function kindOf(e: CheckedExperiment): ExperimentKind {
  const names = e.axes.flatMap((a) => a.names);
  if (e.search) return "search";
  if (names.includes("backend")) return "platforms";
  if (e.configurations.some((c) => c.training.earlyStopping)) return "early-stopping";
  if (names.includes("epochs")) return "epochs";
  if (names.length === 0 || names.every((n) => n === "shuffle" || n === "seed")) return "repeatability";
  if (names.some((n) => ["mask", "model", "dropout", "insert", "layers"].includes(n))) return "ablation";
  return "sweep";
}

/** Each class's accuracy over the runs, from each run's list of them. */
function perClassOf(runs: number[][]): Summary[] {
  return (runs[0] ?? []).map((_, k) => summarize(runs.map((r) => r[k] ?? 0)) as Summary);
}

/** The mean confusion matrix of a row's runs that kept one, or null. */
function meanConfusion(runs: OkResult[]): { n: number; matrix: number[][] } | null {
  const ms = runs.map((r) => r.test.confusion).filter((m): m is number[][] => m !== undefined);
  const first = ms[0];
  if (!first) return null;
  return {
    n: ms.length,
    matrix: first.map((row, t) =>
      row.map((_, p) => ms.reduce((a, m) => a + (m[t]?.[p] ?? 0), 0) / ms.length),
    ),
  };
}

/** A machine named by its hardware too: hosts are often called alike ("vm", "localhost"). */
function hostLabel(host: OkResult["host"]): string {
  return `${host.hostname} (${host.cpu}, ${host.cores} cores)`;
}

function rowsOf(
  e: PlannedExperiment,
  results: Map<string, Stored>,
  models: Map<string, PlannedModel>,
): { rows: Row[]; oks: OkResult[][] } {
  const oks: OkResult[][] = [];
  const rows = e.configurations.map((c): Row => {
    const jobs = e.jobs.filter((j) => j.configuration === c.index);
    const done: OkResult[] = [];
    const errors = new Set<string>();
    const notAvailable = new Set<string>();
    let failed = 0;
    let unavailable = 0;
    for (const j of jobs) {
      const s = results.get(j.id);
      if (s?.kind !== "valid") continue;
      if (s.result.status === "ok") done.push(s.result);
      else if (s.result.unavailable) {
        unavailable++;
        notAvailable.add(`${s.result.host.hostname}: ${s.result.error}`);
      } else {
        failed++;
        errors.add(s.result.error);
      }
    }
    oks.push(done);
    const metrics: Row["metrics"] = {};
    for (const key of metricKeys) {
      const xs = done.map((r) => metricValues(r)[key]).filter((x): x is number => x !== undefined);
      const s = summarize(xs);
      if (s) metrics[key] = s;
    }
    const perClass = done.map((r) => r.test.perClass).filter((x): x is number[] => x !== undefined);
    return {
      index: c.index,
      label: c.label,
      values: c.values,
      model: modelKey(c.model),
      params: models.get(modelKey(c.model))?.totalParams ?? 0,
      perClass: perClass.length > 0 ? perClassOf(perClass) : null,
      // A search's candidates have no baseline: the winner is compared with the others instead.
      baseline: !e.search && c.index === e.baseline,
      waiting: c.waiting,
      planned: jobs.length,
      ok: done.length,
      failed,
      unavailable,
      missing: jobs.length - done.length - failed - unavailable,
      errors: [...errors],
      notAvailable: [...notAvailable],
      metrics,
      vsBaseline: null,
      backends: [...new Set(done.map((r) => r.backend.name))],
      hosts: [...new Set(done.map((r) => hostLabel(r.host)))],
    };
  });
  const base = oks[e.baseline] ?? [];
  for (const r of rows) {
    if (r.baseline || e.search) continue;
    const mine = oks[r.index] ?? [];
    r.vsBaseline = {
      "test.accuracy": compare(
        mine.map((x) => x.test.accuracy),
        base.map((x) => x.test.accuracy),
      ),
      "test.loss": compare(
        mine.map((x) => x.test.loss),
        base.map((x) => x.test.loss),
      ),
    };
  }
  // Several configurations against one baseline: Holm's adjustment, per metric, decides.
  for (const key of ["test.accuracy", "test.loss"] as const) {
    const cs = rows.flatMap((r) => (r.vsBaseline ? [r.vsBaseline[key]] : []));
    holm(cs.map((c) => (c.untestable ? null : c.p))).forEach((p, i) => {
      const c = cs[i];
      if (!c || p === null) return;
      c.pAdjusted = p;
      c.significant = p < 0.05;
    });
  }
  return { rows, oks };
}

const modelsOf = (p: Plan) => new Map(p.models.map((m) => [m.key, m]));

/** The data set's class names (every configuration of an experiment reads the same data set). */
function classNamesOf(e: PlannedExperiment): string[] {
  const data = e.configurations[0]?.data;
  if (!data) return [];
  return data.name === "folder" ? [...(data.folder?.classes ?? [])] : [...namedSets[data.name].classNames];
}

/** How the report names the pipeline's data set: `CIFAR-10`, `the image folder "shapes"`. */
function datasetTitle(p: Plan): string {
  const d = p.experiments[0]?.configurations[0]?.data;
  if (!d) return namedSets.fashion_mnist.title;
  return d.name === "folder" ? `The image folder "${d.folder?.path}"` : namedSets[d.name].title;
}

/** The baseline's and the most accurate row's mean confusion matrices (one when they coincide). */
function confusionOf(rows: Row[], oks: OkResult[][]): ExperimentReport["confusion"] {
  const best = [...rows]
    .filter((r) => r.metrics["test.accuracy"])
    .sort((a, b) => (b.metrics["test.accuracy"]?.mean ?? 0) - (a.metrics["test.accuracy"]?.mean ?? 0))[0];
  const base = rows.find((r) => r.baseline);
  const shown: { row: Row; roles: string[] }[] = [];
  if (base) shown.push({ row: base, roles: ["baseline"] });
  if (best && best === base) shown[0]?.roles.push("most accurate");
  else if (best) shown.push({ row: best, roles: ["most accurate"] });
  return shown.flatMap(({ row, roles }) => {
    const m = meanConfusion(oks[row.index] ?? []);
    return m ? [{ label: row.label, roles: rows.length > 1 ? roles : [], ...m }] : [];
  });
}

/** The values the experiment takes from others' answers, each once, and where they came from. */
function usesOf(e: PlannedExperiment): Use[] {
  const out = new Map<string, Use>();
  for (const c of e.configurations)
    for (const u of c.uses) {
      const { experiment, question, resolved, detail } = u.from;
      const text = resolved
        ? `${u.name} ${u.value}: ${detail}, in "${experiment}"`
        : `${u.name} from "${experiment}" (${question}): no answer yet (${detail}); its configurations wait`;
      out.set(text, { name: u.name, value: resolved ? u.value : null, experiment, question, text });
    }
  return [...out.values()];
}

/** The lines of the pipeline from the experiment's first line to its closing brace. */
/** What an experiment varies: each swept name's values, or a search's space. */
function variedOf(e: CheckedExperiment): ExperimentReport["varied"] {
  // A search's candidates are listed on its page: its space is what varied.
  if (e.search)
    return e.search.space.map((d) => ({ name: d.name, values: [`sampled from ${spaceText(d)}`] }));
  return e.axes.flatMap((a) =>
    // A tuple sweep repeats a name's values across its configurations: each value once.
    a.names.map((name, i) => ({ name, values: [...new Set(a.values.map((v) => showSweepValue(v[i])))] })),
  );
}

function definitionOf(e: CheckedExperiment, source: string): string {
  return source
    .split("\n")
    .slice(e.span.line - 1, e.span.endLine)
    .join("\n");
}

function columnsOf(kind: ExperimentKind, rows: Row[]): MetricKey[] {
  const has = (k: MetricKey) => rows.some((r) => r.metrics[k]);
  const cols: MetricKey[] = [
    "time.total",
    "time.per_sample",
    "test.loss",
    "test.accuracy",
    "train.loss",
    "train.accuracy",
  ];
  if (has("val.loss")) cols.push("val.loss", "val.accuracy");
  if (kind === "early-stopping" || kind === "epochs") cols.push("epochs_trained");
  return cols;
}

export interface BuildOptions {
  /** Folder of `<kind>.hbs` files that replace the built-in conclusion templates. */
  templates?: string;
  now?: Date;
  /** Render what the models learned (filters, feature maps, misclassified images) from their saved weights. */
  images?: { resultsDir: string; data: Dataset };
  /** Told of what the report shows other than asked (a note whose live numbers failed). */
  warn?: (line: string) => void;
}

/**
 * The whole report of a planned pipeline from whatever results exist: one page per experiment
 * (rows, curves, answers, charts, conclusion), the environment, and what is missing or failed.
 */
export async function buildStudy(
  p: Plan,
  source: string,
  results: Map<string, Stored>,
  opts: BuildOptions = {},
): Promise<Study> {
  const writer: Conclusions = await writeConclusions(opts.templates, opts.warn);
  const experiments: ExperimentReport[] = [];
  const models = modelsOf(p);
  for (const e of p.experiments) {
    const kind = kindOf(e);
    const { rows, oks } = rowsOf(e, results, models);
    const labels = e.configurations.map((c) => c.label);
    const curves = curvesOf(labels, oks);
    const answers = answersOf(e, rows, curves, oks);
    const verdicts = figureVerdicts(e, rows);
    const status = {
      jobs: e.jobs.length,
      ok: rows.reduce((n, r) => n + r.ok, 0),
      failed: rows.reduce((n, r) => n + r.failed, 0),
      unavailable: rows.reduce((n, r) => n + r.unavailable, 0),
      missing: rows.reduce((n, r) => n + r.missing, 0),
      waiting: e.waiting.jobs,
    };
    const partial = {
      number: e.number,
      title: e.title,
      slug: e.slug,
      kind,
      definition: definitionOf(e, source),
      line: e.span.line,
      varied: variedOf(e),
      fixed: e.fixed,
      repeat: e.repeat,
      columns: columnsOf(kind, rows),
      rows,
      curves,
      lossTurn: lossTurnOf(labels, oks, curves),
      answers,
      classNames: classNamesOf(e),
      figures: verdicts,
      figuresSummary: figuresSummary(verdicts),
      models: [...new Set(rows.map((r) => r.model))].flatMap((key) => {
        const m = models.get(key);
        return m
          ? [
              {
                key,
                name: m.name,
                summary: formatSummary({ rows: m.layers, totalParams: m.totalParams }),
                totalParams: m.totalParams,
              },
            ]
          : [];
      }),
      confusion: confusionOf(rows, oks),
      images: opts.images
        ? await imagesOf(rows, oks, classNamesOf(e), opts.images.resultsDir, opts.images.data)
        : { configurations: [], misclassified: null },
      uses: usesOf(e),
      search: searchOf(e, rows, oks),
      status,
    };
    const { conclusion, notes } = writer.write(
      partial,
      e.notes,
      oks.map((rs) => rs.map((x) => x.test.accuracy)),
    );
    // Sentences end at a full stop before a capital, a digit or a quote: `p = 0.047` stays whole.
    const [headline = conclusion, ...details] = conclusion.split(/(?<=\.)\s+(?=[A-Z0-9“])/);
    experiments.push({ ...partial, conclusion, headline, details, notes, charts: await chartsOf(partial) });
  }
  // By the plan's job ids: a result found under another context (see src/execute/contexts.ts)
  // carries that context's id in its file.
  const jobs = new Set(p.experiments.flatMap((e) => e.jobs.map((j) => j.id)));
  const mine = [...jobs].flatMap((id) => {
    const s = results.get(id);
    return s?.kind === "valid" ? [s.result] : [];
  });
  const ok = mine.filter((f) => f.status === "ok").length;
  const unavailable = mine.filter((f) => f.status === "failed" && f.unavailable).length;
  const failed = mine.length - ok - unavailable;
  return {
    file: p.file,
    title: titleOf(p.file, p.experiments[0]?.configurations[0]?.data),
    generatedAt: (opts.now ?? new Date()).toISOString(),
    status: {
      jobs: jobs.size,
      ok,
      failed,
      unavailable,
      missing: jobs.size - ok - failed - unavailable,
      waiting: p.totals.waitingJobs,
    },
    experiments,
    environment: environmentOf(mine, datasetTitle(p)),
  };
}

/**
 * The site's title from the pipeline's file name: `fashion-mnist-study.cnnp` is "Fashion-MNIST
 * study" when its data set is Fashion-MNIST (the set's own spelling), else words from the name.
 */
export function titleOf(file: string, data?: Pick<DataSpec, "name">): string {
  const base =
    file
      .split("/")
      .pop()
      ?.replace(/\.cnnp$/, "") ?? file;
  const named = data && data.name !== "folder" ? namedSets[data.name] : undefined;
  const slug = data?.name.replace(/_/g, "-");
  if (named && slug && (base === slug || base.startsWith(`${slug}-`) || base.startsWith(`${slug}_`))) {
    const rest = base.slice(slug.length).replace(/[-_]+/g, " ").trim();
    return rest ? `${named.title} ${rest}` : named.title;
  }
  return base.replace(/[-_]+/g, " ").replace(/^./, (c) => c.toUpperCase());
}

function tally<T>(items: T[], key: (t: T) => string): Map<string, { item: T; jobs: number }> {
  const m = new Map<string, { item: T; jobs: number }>();
  for (const it of items) {
    const k = key(it);
    const e = m.get(k);
    if (e) e.jobs++;
    else m.set(k, { item: it, jobs: 1 });
  }
  return m;
}

/**
 * Which hosts, back ends, data and pipeline versions the results came from, with job counts, and
 * which host ran how many finished jobs on which back end. Given the plan's results only, so a
 * results folder shared with other pipelines changes nothing.
 */
export function environmentOf(files: ResultFile[], dataset = "Fashion-MNIST"): Environment {
  const oks = files.filter((f): f is OkResult => f.status === "ok");
  return {
    dataset,
    hosts: [...tally(files, (f) => JSON.stringify(f.host)).values()].map(({ item, jobs }) => ({
      ...item.host,
      jobs,
    })),
    backends: [...tally(oks, (f) => JSON.stringify(f.backend)).values()].map(({ item, jobs }) => ({
      ...item.backend,
      jobs,
    })),
    data: [...tally(files, (f) => JSON.stringify(f.data)).values()].map(({ item, jobs }) => ({
      ...item.data,
      jobs,
    })),
    sources: [...tally(files, (f) => JSON.stringify(f.source)).values()].map(({ item, jobs }) => ({
      file: item.source.file,
      commit: item.source.git?.commit ?? null,
      dirty: item.source.git?.dirty ?? false,
      jobs,
    })),
    byHostAndBackend: [
      ...tally(oks, (f) => JSON.stringify([hostLabel(f.host), f.backend.name])).values(),
    ].map(({ item, jobs }) => ({ host: hostLabel(item.host), backend: item.backend.name, jobs })),
  };
}
