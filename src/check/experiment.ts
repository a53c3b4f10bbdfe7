import { bounds } from "../bounds.js";
import { type Diagnostic, error, type Span, startOfFile } from "../diagnostics/diagnostic.js";
import type { AnswerUse } from "../dsl/ast.js";
import { kindOf } from "../layers/index.js";
import {
  type CheckedExperiment,
  type Configuration,
  defaultLearningRate,
  type Observed,
  type SweepValue,
} from "../model/index.js";
import { type AxisEntry, type ReadAxis, readAxis, showSweepValue as show, shownValue } from "./axes.js";
import { largestLayer, tooMuchMemory } from "./cost.js";
import { type FolderScans, type ResolvedData, resolveData } from "./data.js";
import { readFigures } from "./figures.js";
import {
  type Materialized,
  type ModelRegistry,
  materialize,
  type Overrides,
  type Template,
} from "./models.js";
import { readQuestion } from "./questions.js";
import type { Scope } from "./scope.js";
import {
  candidateAxis,
  cornerAxis,
  readSearch,
  type SearchSpec,
  scaleInGrid,
  searchAnswers,
} from "./search.js";
import { findConfiguration } from "./select.js";
import { defaults, grouped, isDiagnostic, type Settings, type SweepName } from "./settings.js";

/** Most jobs one experiment may plan (configurations x repeats). */
export const maxJobs = 100_000;

interface Context {
  models: ModelRegistry;
  diagnostics: Diagnostic[];
  /** Models already built, so each distinct variant is checked (and reported) once. */
  built: Map<string, Materialized | Diagnostic>;
  templateIds: WeakMap<Template, number>;
  nextTemplateId: number;
  /** The pipeline's text, for statements the report quotes. */
  source: string;
  /** The pipeline's path: a data folder's relative path starts at its folder. */
  file: string;
  scans: FolderScans;
  /** Data statements' problems already reported (offset and message). */
  dataProblems: Set<string>;
  /** Jobs of the experiments checked so far (see bounds.pipelineJobs). */
  jobs: number;
  /** Whether each model variant fits in a job's memory, by batch size (see fitsMemory). */
  memory: WeakMap<Materialized, Map<number, boolean>>;
  /** The file-wide data statement's data, which models no experiment uses are checked against. */
  fileData?: ResolvedData | null;
  /** Searches' finished candidates, by experiment title: what TPE proposes the next ones from. */
  observed?: Observed;
}

export function newContext(
  models: ModelRegistry,
  diagnostics: Diagnostic[],
  source = "",
  file = "",
): Context {
  return {
    models,
    diagnostics,
    built: new Map(),
    templateIds: new WeakMap(),
    nextTemplateId: 1,
    source,
    file,
    scans: new Map(),
    dataProblems: new Set(),
    memory: new WeakMap(),
    jobs: 0,
  };
}

/** The model a block uses when no sweep names one: see the README's "Which model" rule. */
function defaultModel(exp: Scope, file: Scope, ctx: Context): Template | null | undefined {
  if (exp.modelUse) return exp.modelUse.template;
  const [only] = exp.defined;
  if (exp !== file && only !== undefined && exp.defined.length === 1) return ctx.models.get(only, exp.span);
  if (file.modelUse) return file.modelUse.template;
  const [first] = file.defined;
  return first !== undefined ? ctx.models.get(first, file.span) : undefined;
}

function slugify(title: string): string {
  const s = title
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    // A page's file name: well under any file system's 255 bytes, whatever the title's length.
    .slice(0, 80)
    .replace(/-+$/, "");
  return s || "experiment";
}

/**
 * Whether one job of a configuration fits the memory a job may use (estimated); reports it, once
 * per model variant and batch, when it does not.
 */
function fitsMemory(
  m: Materialized,
  s: Settings,
  data: ResolvedData,
  batchAt: Span | undefined,
  ctx: Context,
): boolean {
  let checked = ctx.memory.get(m);
  if (!checked) {
    checked = new Map();
    ctx.memory.set(m, checked);
  }
  const known = checked.get(s.batch);
  if (known !== undefined) return known;
  const job = { batch: Math.min(s.batch, Math.max(1, s.data.train)), test: s.data.test, loaded: data.loaded };
  const at = batchAt ?? m.origins[largestLayer(m.summary)] ?? m.origins[0] ?? startOfFile;
  const problem = tooMuchMemory(m.model, m.summary, job, at, s.batch);
  if (problem) ctx.diagnostics.push(problem);
  checked.set(s.batch, problem === null);
  return problem === null;
}

/** Repeat r uses seed + r: the last repeat's seed must be a seed too. */
function checkSeeds(settings: Settings, spans: Map<string, Span>, diagnostics: Diagnostic[]): void {
  const last = settings.seed + settings.repeat - 1;
  if (last <= bounds.seed.max) return;
  const at = spans.get("seed") ?? spans.get("repeat");
  if (!at) return;
  diagnostics.push(
    error(
      "E104",
      at,
      `seed ${settings.seed} with repeat ${settings.repeat} gives the last repeat seed ${grouped(last)}, above the largest seed ${grouped(bounds.seed.max)}`,
      `Use a seed of at most ${grouped(bounds.seed.max - settings.repeat + 1)}, or fewer repeats.`,
    ),
  );
}

function templateId(t: Template, ctx: Context): number {
  let id = ctx.templateIds.get(t);
  if (id === undefined) {
    id = ctx.nextTemplateId++;
    ctx.templateIds.set(t, id);
  }
  return id;
}

function build(
  t: Template,
  o: Overrides,
  info: { input: [number, number, number]; classes: number },
  ctx: Context,
): Materialized | null {
  const key = `${templateId(t, ctx)}|${o.mask?.value}|${o.maps}|${o.dropout}|${info.input.join("x")}|${info.classes}`;
  let m = ctx.built.get(key);
  if (!m) {
    m = materialize(t, o, info.input, info.classes);
    ctx.built.set(key, m);
    if (isDiagnostic(m)) ctx.diagnostics.push(m);
  }
  return isDiagnostic(m) ? null : m;
}

function fixedSummary(
  s: Settings,
  swept: Set<string>,
  modelName: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (name: string, value: string) => {
    if (!swept.has(name)) out[name] = value;
  };
  if (modelName !== undefined) put("model", modelName);
  if (s.mask) put("mask", s.mask);
  if (s.maps !== undefined) put("maps", String(s.maps));
  if (s.dropout !== undefined) put("dropout", String(s.dropout));
  const fmt = new Intl.NumberFormat("en-US");
  const d = s.data;
  const source = d.folder
    ? `folder "${d.folder.path}" (${d.folder.size.join("x")}, ${d.folder.channels === 1 ? "greyscale" : "colour"}, ${d.folder.classes.length} classes, split ${d.folder.split})`
    : d.name;
  put("data", `${source}, ${fmt.format(d.train)} train / ${fmt.format(d.test)} test images`);
  put("epochs", String(s.epochs));
  put("batch", String(s.batch));
  put("optimizer", s.optimizer);
  put("learning_rate", String(s.learning_rate ?? defaultLearningRate[s.optimizer]));
  if (s.optimizer === "sgd" && s.momentum > 0) put("momentum", String(s.momentum));
  put("shuffle", s.shuffle ? "on" : "off");
  if (s.save_weights !== "on") put("save_weights", s.save_weights);
  if (s.validation_split > 0) put("validation_split", String(s.validation_split));
  if (s.early_stopping) {
    const e = s.early_stopping;
    put(
      "early_stopping",
      `monitor ${e.monitor}, patience ${e.patience}${e.minDelta > 0 ? `, min_delta ${e.minDelta}` : ""}`,
    );
  }
  put("backend", s.backend);
  put("seed", String(s.seed));
  put("repeat", String(s.repeat));
  return out;
}

/** Settings of a block: Keras' defaults, then the file's, then the experiment's own. */
function mergeSettings(
  file: Scope,
  exp: Scope,
): { settings: Settings; spans: Map<string, Span>; uses: Map<string, AnswerUse> } {
  const settings: Settings = { ...defaults };
  const spans = new Map<string, Span>();
  const uses = new Map<string, AnswerUse>();
  for (const scope of exp === file ? [file] : [file, exp]) {
    for (const [k, v] of scope.settings) {
      (settings as unknown as Record<string, unknown>)[k] = v.value;
      spans.set(k, v.span);
      if (v.from) uses.set(k, v.from);
      else uses.delete(k);
    }
  }
  return { settings, spans, uses };
}

function withEntry(
  s: Settings,
  name: SweepName,
  entry: AxisEntry,
  o: Overrides,
  model: { t: Template | null | undefined },
): void {
  switch (name) {
    case "model":
      model.t = entry.value as Template;
      return;
    case "mask":
      o.mask = { value: entry.value as string, span: entry.span };
      return;
    case "maps":
      o.maps = entry.value as number;
      return;
    case "dropout":
      o.dropout = entry.value as number;
      return;
    default:
      (s as unknown as Record<string, unknown>)[name] = entry.value;
  }
}

/** Every combination of the axes' rows (first axis outermost). */
function* combinations(axes: ReadAxis[]): Generator<AxisEntry[][]> {
  const idx = axes.map(() => 0);
  if (axes.some((a) => a.rows.length === 0)) return;
  while (true) {
    yield axes.map((a, k) => a.rows[idx[k] ?? 0] ?? []);
    let k = axes.length - 1;
    while (k >= 0) {
      const next = (idx[k] ?? 0) + 1;
      if (next < (axes[k]?.rows.length ?? 0)) {
        idx[k] = next;
        break;
      }
      idx[k] = 0;
      k--;
    }
    if (k < 0) return;
  }
}

/**
 * The experiment's data, or null when its data statement is at fault: a file-wide data statement
 * at fault is reported once, not once per experiment.
 */
function dataOf(settings: Settings, spans: Map<string, Span>, ctx: Context): ResolvedData | null {
  const data = resolveData(settings.data, spans.get("data"), ctx.file, ctx.scans);
  if (!isDiagnostic(data)) return data;
  const key = `${data.span.offset}\n${data.message}`;
  if (!ctx.dataProblems.has(key)) ctx.diagnostics.push(data);
  ctx.dataProblems.add(key);
  return null;
}

/** The experiment's sweeps as axes, and where each name is swept: a name swept twice is reported. */
/**
 * The experiment's axes: its sweeps' cross product, or, with a `search`, one axis of the
 * candidates known so far (its sweeps are the space they are sampled from). Null after an error.
 */
function searchAxes(
  exp: Scope,
  settings: Settings,
  ctx: Context,
  observed: (number | null)[],
): { axes: ReadAxis[]; sweptAt: Map<string, Span>; search: SearchSpec | null; corners?: ReadAxis } | null {
  if (exp.searches.length === 0) {
    // A scale outside a search is the sweep's one fault worth saying.
    const scaled = exp.sweeps.filter((s) => s.scale);
    for (const s of scaled) ctx.diagnostics.push(scaleInGrid(s) as Diagnostic);
    if (scaled.length > 0) return null;
    return { ...readSweeps(exp, ctx), search: null };
  }
  const read = readSearch(exp.searches, exp.sweeps, {
    models: ctx.models,
    validationSplit: settings.validation_split,
    epochs: settings.epochs,
    earlyStopping: settings.early_stopping !== null,
    diagnostics: ctx.diagnostics,
  });
  if (!read) return null;
  const axis = candidateAxis(read, { seed: settings.seed, observed }, ctx.models, ctx.diagnostics);
  if (!axis) return null;
  const corners = cornerAxis(read, ctx.models, ctx.diagnostics);
  if (!corners) return null;
  const sweptAt = new Map<string, Span>();
  axis.names.forEach((n, k) => {
    sweptAt.set(n, axis.nameSpans[k] ?? axis.span);
  });
  return { axes: [axis], sweptAt, search: read.spec, corners };
}

function readSweeps(exp: Scope, ctx: Context): { axes: ReadAxis[]; sweptAt: Map<string, Span> } {
  const axes: ReadAxis[] = [];
  const sweptAt = new Map<string, Span>();
  for (const s of exp.sweeps) {
    const axis = readAxis(s, ctx.models, ctx.diagnostics);
    if (!axis) continue;
    let dup = false;
    axis.names.forEach((n, k) => {
      const first = sweptAt.get(n);
      const at = axis.nameSpans[k] ?? axis.span;
      if (first) {
        ctx.diagnostics.push(
          error("E108", at, `'${n}' is swept twice`, undefined, [
            { span: first, message: "first swept here" },
          ]),
        );
        dup = true;
      } else sweptAt.set(n, at);
    });
    if (!dup) axes.push(axis);
  }
  return { axes, sweptAt };
}

/**
 * Whether the experiment's configurations and jobs stay within the bounds, its own and the
 * pipeline's (reported when not). Its jobs count toward the pipeline's when nothing about the
 * experiment was reported since `before` (the diagnostics' count when its check began).
 */
function checkSize(
  exp: Scope,
  title: string,
  axes: ReadAxis[],
  repeat: number,
  before: number,
  ctx: Context,
  /** A search's candidates: what it will run once all are proposed, not only those known. */
  candidates?: number,
) {
  const configs = candidates ?? axes.reduce((n, a) => n * a.rows.length, 1);
  const count = configs * repeat;
  const at = exp.sweeps[0]?.span ?? exp.title?.span ?? exp.span;
  if (configs > bounds.configurations) {
    ctx.diagnostics.push(
      error(
        "E119",
        at,
        `experiment '${title}' would have ${grouped(configs)} configurations; at most ${grouped(bounds.configurations)} are allowed`,
      ),
    );
  } else if (count > maxJobs) {
    ctx.diagnostics.push(
      error("E119", at, `experiment '${title}' would run ${count} jobs; at most ${maxJobs} are allowed`),
    );
  } else if (ctx.jobs + count > bounds.pipelineJobs) {
    ctx.diagnostics.push(
      error(
        "E119",
        at,
        `experiment '${title}' would bring the pipeline to ${grouped(ctx.jobs + count)} jobs; a pipeline may run at most ${grouped(bounds.pipelineJobs)}`,
        "Narrow the sweeps or the repeats, or split the study into several pipelines.",
      ),
    );
  } else if (ctx.diagnostics.length === before) ctx.jobs += count;
}

/** What every configuration of an experiment starts from, before its sweeps' values. */
interface Expansion {
  axes: ReadAxis[];
  /** The model when no sweep names one. */
  base: Template | null | undefined;
  settings: Settings;
  spans: Map<string, Span>;
  /** The settings whose values are other experiments' answers. */
  settingUses: Map<string, AnswerUse>;
  data: ResolvedData;
}

/** The model's mask, maps and dropout as the settings give them. */
function overridesOf(s: Settings, spans: Map<string, Span>): Overrides {
  const o: Overrides = {};
  if (s.mask) {
    const at = spans.get("mask");
    if (at) o.mask = { value: s.mask, span: at };
  }
  if (s.maps !== undefined) o.maps = s.maps;
  if (s.dropout !== undefined) o.dropout = s.dropout;
  return o;
}

/** A configuration's training settings. */
function trainingOf(s: Settings): Configuration["training"] {
  return {
    epochs: s.epochs,
    batchSize: s.batch,
    optimizer: s.optimizer,
    learningRate: s.learning_rate ?? defaultLearningRate[s.optimizer],
    momentum: s.momentum,
    shuffle: s.shuffle,
    saveWeights: s.save_weights,
    validationSplit: s.validation_split,
    earlyStopping: s.early_stopping,
    evaluateEvery: s.evaluate_every,
  };
}

/**
 * A configuration's label: its swept values (a value still waiting for its answer shown as where
 * it will come from), or the model's name when nothing is swept.
 */
function labelOf(values: Record<string, SweepValue>, uses: Configuration["uses"], modelName: string): string {
  const shownOf = (k: string, v: SweepValue) => {
    const u = uses.find((x) => x.name === k && !x.from.resolved);
    return u ? `${k} from "${u.from.experiment}"` : `${k} ${show(v)}`;
  };
  return (
    Object.entries(values)
      .map(([k, v]) => shownOf(k, v))
      .join(", ") || modelName
  );
}

/**
 * The configuration of one combination of the axes' rows, numbered `index`; null when it has no
 * model, or its model cannot be built or does not fit a job's memory (reported).
 */
function configure(combo: AxisEntry[][], x: Expansion, index: number, ctx: Context): Configuration | null {
  const s: Settings = { ...x.settings };
  const o = overridesOf(s, x.spans);
  const model = { t: x.base };
  const values: Record<string, SweepValue> = {};
  const uses: Configuration["uses"] = [...x.settingUses].map(([name, from]) => ({
    name,
    value: shownValue((x.settings as unknown as Record<string, unknown>)[name]),
    from,
  }));
  let batchAt = x.spans.get("batch");
  combo.forEach((row, k) => {
    row.forEach((entry, j) => {
      const name = x.axes[k]?.names[j];
      if (!name) return;
      if (name === "batch") batchAt = entry.span;
      withEntry(s, name, entry, o, model);
      values[name] = entry.shown;
      if (entry.from) uses.push({ name, value: entry.shown, from: entry.from });
    });
  });
  if (!model.t) return null;
  const m = build(model.t, o, x.data, ctx);
  if (!m || !fitsMemory(m, s, x.data, batchAt, ctx)) return null;
  const waiting = uses.some((u) => !u.from.resolved);
  return {
    index,
    label: labelOf(values, uses, m.model.name),
    values,
    model: m.model,
    training: trainingOf(s),
    data: s.data,
    backend: s.backend,
    seed: s.seed,
    uses,
    waiting,
  };
}

/** Every combination of the axes' rows as a configuration, leaving out those that cannot run (reported). */
function configurationsOf(x: Expansion, ctx: Context): Configuration[] {
  const configurations: Configuration[] = [];
  for (const combo of combinations(x.axes)) {
    const c = configure(combo, x, configurations.length, ctx);
    if (c) configurations.push(c);
  }
  return configurations;
}

/**
 * Whether every candidate a search could propose is a valid configuration, by building its
 * space's corners: one that is not (a model too large at the top of a `maps` range) is reported
 * at the search now, rather than when a later round proposes it.
 */
function checkCorners(corners: ReadAxis, x: Expansion, at: Span, ctx: Context): void {
  const found: Diagnostic[] = [];
  configurationsOf({ ...x, axes: [corners] }, { ...ctx, diagnostics: found });
  const first = found[0];
  if (!first) return;
  ctx.diagnostics.push(
    error(
      first.code,
      at,
      `a candidate this search can propose is not valid: ${first.message}`,
      "Narrow the search's ranges or lists so that every candidate in them is valid.",
    ),
  );
}

/** The axes as the report shows them: a value still waiting for its answer as where it will come from. */
function shownAxes(axes: ReadAxis[]): CheckedExperiment["axes"] {
  return axes.map((a) => ({
    names: a.names,
    values: a.rows.map((r) =>
      r.map((e) => (e.from && !e.from.resolved ? `from "${e.from.experiment}"` : e.shown)),
    ),
    span: a.span,
  }));
}

/**
 * Checks one experiment and expands its sweeps into configurations. Returns null when it has
 * errors (all of them reported).
 */
export function checkExperiment(
  exp: Scope,
  file: Scope,
  number: number,
  title: string,
  ctx: Context,
): CheckedExperiment | null {
  const before = ctx.diagnostics.length;
  const { diagnostics } = ctx;
  const { settings, spans, uses: settingUses } = mergeSettings(file, exp);
  const data = dataOf(settings, spans, ctx);
  if (!data) return null;
  settings.data = data.spec;
  const searched = searchAxes(exp, settings, ctx, ctx.observed?.get(title) ?? []);
  if (searched === null) return null;
  const { axes, sweptAt, search } = searched;
  const base = defaultModel(exp, file, ctx);
  if (base === undefined && !sweptAt.has("model")) {
    diagnostics.push(error("E122", exp.title?.span ?? exp.span, `experiment '${title}' has no model`));
  }
  checkSize(exp, title, axes, settings.repeat, before, ctx, search?.planned);
  checkSeeds(settings, spans, diagnostics);
  if (ctx.diagnostics.length > before) return null;

  const expansion = { axes, base, settings, spans, settingUses, data };
  const configurations = configurationsOf(expansion, ctx);
  if (search && searched.corners) checkCorners(searched.corners, expansion, search.span, ctx);
  if (ctx.diagnostics.length > before) return null;
  checkUse(configurations, sweptAt, spans, diagnostics);
  const asked = exp.finds
    .map((f) => readQuestion(f, sweptAt, configurations, diagnostics))
    .filter((q) => q !== null);
  const questions = search ? [...asked, ...searchAnswers(search, asked)] : asked;
  const baseline = findBaseline(settings, spans, axes, configurations, diagnostics);
  const figures = readFigures(exp.expects, ctx.source, axes, configurations, diagnostics);
  if (ctx.diagnostics.length > before) return null;
  return {
    number,
    title,
    slug: slugify(title),
    span: exp.span,
    axes: shownAxes(axes),
    fixed: fixedSummary(settings, new Set(sweptAt.keys()), base?.name),
    configurations,
    repeat: settings.repeat,
    questions,
    notes: exp.notes.map((n) => n.text),
    baseline,
    figures,
    ...(search ? { search } : {}),
  };
}

/** Sweeps and settings that change nothing are mistakes: say so. */
function checkUse(
  configs: Configuration[],
  sweptAt: Map<string, Span>,
  spans: Map<string, Span>,
  diagnostics: Diagnostic[],
): void {
  const any = (p: (c: Configuration) => boolean) => configs.some(p);
  const unused = (name: string, why: string) => {
    const swept = sweptAt.get(name);
    const at = swept ?? spans.get(name);
    if (at)
      diagnostics.push(
        error("E106", at, `${swept ? "sweeping" : "setting"} '${name}' changes nothing: ${why}`),
      );
  };
  if (!any((c) => c.model.layers.some((l) => l.type === "dropout")))
    unused("dropout", "the model has no dropout layer");
  if (!any((c) => c.model.layers.some((l) => kindOf(l).maps))) unused("maps", "the model has no conv layer");
  if (!any((c) => c.training.optimizer === "sgd")) unused("momentum", "only SGD has momentum");
  for (const c of configs) {
    const es = c.training.earlyStopping;
    if (es?.monitor.startsWith("val_") && c.training.validationSplit === 0) {
      const at = spans.get("early_stopping");
      if (at) {
        diagnostics.push(
          error("E120", at, `early stopping monitors ${es.monitor}, but there is no validation data`),
        );
        return;
      }
    }
  }
}

function findBaseline(
  settings: Settings,
  spans: Map<string, Span>,
  axes: ReadAxis[],
  configs: Configuration[],
  diagnostics: Diagnostic[],
): number {
  const wanted = settings.baseline;
  if (!wanted) return 0;
  return Math.max(
    0,
    findConfiguration(wanted, spans.get("baseline"), axes, configs, diagnostics, "E123") ?? 0,
  );
}

/**
 * Checks the shapes of models that no experiment uses, so a broken definition is never silent:
 * against the file-wide data statement's data (none when that statement is at fault).
 */
export function checkUnusedModels(ctx: Context, file: Scope): void {
  const stated = file.settings.get("data");
  const data = resolveData(
    stated ? (stated.value as Settings["data"]) : defaults.data,
    stated?.span,
    ctx.file,
    ctx.scans,
  );
  ctx.fileData = isDiagnostic(data) ? null : data;
  for (const name of ctx.models.names()) {
    const t = ctx.models.get(name, startOfFile);
    if (!t || ctx.templateIds.has(t) || !ctx.fileData) continue;
    build(t, {}, ctx.fileData, ctx);
  }
}
