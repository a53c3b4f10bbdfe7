import { answerSources } from "../check/references.js";
import type { Compiled } from "../compile.js";
import { DataError, type Dataset, loadDataset } from "../data/load.js";
import { formatDiagnostics } from "../diagnostics/format.js";
import { planOptions, type RunContext } from "../execute/contexts.js";
import { type Pending, pendingWork } from "../execute/pending.js";
import { namedSets } from "../model/datasets.js";
import type { Backend, CheckedPipeline, DataSpec } from "../model/index.js";
import { plan } from "../plan/plan.js";
import type { Plan } from "../plan/types.js";
import { ResultStore } from "../store/store.js";
import { plural } from "./lines.js";
import { loadPipeline } from "./load.js";
import type { Messages } from "./output.js";
import { planWithAnswers } from "./resolve.js";

/** What `cnnp run` is asked to work on. */
export interface RunTarget {
  file: string;
  /** The results folder (default `results`). */
  results?: string;
  backend?: Backend;
  /** The data folder, when not found the usual way. */
  data?: string;
  /** The title of the one experiment to run (with those whose answers it uses). */
  only?: string;
}

/** What a run session reads once: the pipeline compiled, the data, the results folder. */
export interface Setup {
  file: string;
  /** The pipeline compiled without answers; every pass plans from it. */
  compiled: Compiled;
  spec: DataSpec;
  data: Dataset;
  /** What enters the job ids besides the pipeline: the data read and the back end asked for. */
  context: Omit<RunContext, "usedAt">;
  store: ResultStore;
  /** The experiments run for `--only`: it and those whose answers it uses (all when undefined). */
  selection: Set<number> | undefined;
}

/** One pass of `cnnp run`: the plan with the answers known now, and its pending work. */
export interface Prepared {
  p: Plan;
  store: ResultStore;
  data: Dataset;
  context: Omit<RunContext, "usedAt">;
  work: Pending;
  total: number;
  selection: Set<number> | undefined;
  /** A later pass, after answers came in: the jobs done before were printed by the first. */
  again: boolean;
}

const usage = (say: Messages, why: string): number => {
  say.err(`error: ${why}`);
  return 2;
};

/**
 * The prepare step: reads and compiles the pipeline (printing its diagnostics), finds `--only`'s
 * experiment, loads the data and checks it holds the images the pipeline asks for. Or the exit
 * code: 1 for a pipeline with errors, 2 for a wrong title or unusable data.
 */
export async function setUp(target: RunTarget, say: Messages): Promise<Setup | number> {
  const { file } = target;
  const compiled = await loadPipeline(file);
  if (compiled.diagnostics.length > 0)
    say.err(formatDiagnostics(compiled.diagnostics, file, compiled.source, { color: say.color }));
  const pipeline = compiled.pipeline;
  if (!pipeline) return 1;
  const only = pipeline.experiments.find((e) => e.title === target.only);
  if (target.only !== undefined && !only) {
    const titles = pipeline.experiments.map((e) => `"${e.title}"`).join(", ");
    return usage(say, `no experiment titled "${target.only}" in ${file}; titles: ${titles}`);
  }
  const spec = pipeline.experiments[0]?.configurations[0]?.data ?? {
    name: "fashion_mnist",
    train: 0,
    test: 0,
  };
  const data = await loadData(spec, target.data, say);
  if (!data) return 2;
  const short = tooFewImages(pipeline, data);
  if (short) return usage(say, `${file}: ${short}`);
  // Job ids cover the data actually read and the back end asked for; the folder records both.
  const context = {
    backend: target.backend ?? null,
    data: { dir: data.dir, checksum: data.checksum, official: data.official },
  };
  const store = new ResultStore(target.results ?? "results");
  const selection = only ? withDependencies(only.title, pipeline) : undefined;
  return { file, compiled, spec, data, context, store, selection };
}

async function loadData(spec: DataSpec, dir: string | undefined, say: Messages): Promise<Dataset | null> {
  try {
    return await loadDataset(spec, { dir, log: (l) => say.err(l) });
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    say.err(`error: ${e.message}`);
    return null;
  }
}

/**
 * Plans the pipeline with the answers the finished results give and finds the pending work;
 * prints what it found. Or 1 when the answers make the pipeline wrong (its diagnostics printed).
 */
export function planPass(s: Setup, say: Messages, again: boolean): Prepared | number {
  const { file, store, context, data, selection } = s;
  const resolved = planWithAnswers(s.compiled, (pipeline) => ({
    plan: plan(pipeline, planOptions(context)),
    lookup: (id) => store.read(id),
  }));
  if (!resolved.planned) {
    const c = resolved.compiled;
    say.err(formatDiagnostics(c.diagnostics, file, c.source, { color: say.color }));
    return 1;
  }
  const p = resolved.planned.plan;
  const work = pendingWork(p, (id) => store.read(id), selection);
  const total = work.selected.length + work.extra.length;
  const runs = new Set([...work.selected, ...work.extra].map((j) => j.run)).size;
  const official = data.official ? "" : " (not the official files)";
  say.err(
    `${file}: ${plural(total, "job")} in ${plural(runs, "training run")}; data: ${dataTitle(s.spec)} from ${data.dir}${official}`,
  );
  const swept = store.sweep();
  if (swept > 0)
    say.err(`removed ${swept} half-written result file${swept === 1 ? "" : "s"} left by an interrupted run`);
  for (const x of work.stored.values())
    if (x.kind === "invalid") say.err(`${x.path}: not a valid result (${x.why}); running the job again`);
  return { p, store, data, context, work, total, selection, again };
}

/**
 * Whether the data read hold fewer images than the pipeline asks for (a run would train on fewer
 * than its report says), or none: the counts, and what to do.
 */
function tooFewImages(pipeline: CheckedPipeline, data: Dataset): string | undefined {
  const n = (x: number) => x.toLocaleString("en-US");
  if (data.trainCount === 0 || data.testCount === 0)
    return `${data.dir} holds ${n(data.trainCount)} training and ${n(data.testCount)} test images: a run needs at least one of each; check the files or give another folder with --data`;
  const specs = pipeline.experiments.flatMap((e) => e.configurations.map((c) => c.data));
  const train = Math.max(0, ...specs.map((d) => d.train));
  const test = Math.max(0, ...specs.map((d) => d.test));
  if (train <= data.trainCount && test <= data.testCount) return undefined;
  const asked = [
    train > data.trainCount ? `${n(train)} training images` : "",
    test > data.testCount ? `${n(test)} test images` : "",
  ].filter(Boolean);
  return `the pipeline asks for ${asked.join(" and ")}, but ${data.dir} holds ${n(data.trainCount)} training and ${n(data.testCount)} test images: lower train and test in the data statement to at most those, or give the full data set with --data DIR`;
}

/** How messages name a data set: `Fashion-MNIST`, `CIFAR-10`, `the image folder images/`. */
function dataTitle(d: Pick<DataSpec, "name" | "folder">): string {
  return d.name === "folder" ? `the image folder ${d.folder?.path}` : namedSets[d.name].title;
}

/** An experiment's number and those of the experiments whose answers it uses, all the way down. */
function withDependencies(title: string, pipeline: CheckedPipeline): Set<number> {
  const titles = new Set([title, ...answerSources(pipeline.dependencies, title)]);
  return new Set(pipeline.experiments.filter((e) => titles.has(e.title)).map((e) => e.number));
}
