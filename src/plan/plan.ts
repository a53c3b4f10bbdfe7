import { answerSources } from "../check/references.js";
import { officialChecksumOf } from "../data/official.js";
import { isProblem, summarize } from "../layers/summary.js";
import type {
  Backend,
  CheckedExperiment,
  CheckedPipeline,
  Configuration,
  ModelSpec,
} from "../model/index.js";
import { contentHash } from "./hash.js";
import type { Job, Plan, PlannedExperiment, PlannedModel, Run } from "./types.js";

/** What makes two models the same network: the layers and the input, not the name. */
export function modelKey(m: ModelSpec): string {
  return contentHash({ input: m.input, classes: m.classes, layers: m.layers }, 12);
}

export interface PlanOptions {
  /** Checksum of the data the jobs will see (default: the official copy of the pipeline's data set). */
  dataChecksum?: string;
  /** A back end that overrides the pipeline's for every job (`cnnp run --backend`). */
  backend?: Backend;
}

/** Everything but the epoch count that determines a job's result. */
function runIdentity(c: Configuration, seed: number, opts: PlanOptions) {
  // Neither how often to evaluate nor whether to keep the weights changes what is trained.
  const { epochs: _epochs, evaluateEvery: _every, saveWeights: _save, ...training } = c.training;
  return {
    model: { input: c.model.input, classes: c.model.classes, layers: c.model.layers },
    training,
    data: { ...dataIdentity(c.data), checksum: opts.dataChecksum ?? officialChecksumOf(c.data.name) },
    backend: opts.backend ?? c.backend,
    seed,
  };
}

/**
 * The data as it enters a job's id: a named set's name and slice (as before folders existed, so
 * their ids stay), and a folder's image size, channels and split; not where the folder is, which
 * the checksum of its files stands for.
 */
function dataIdentity(d: Configuration["data"]) {
  if (!d.folder) return d;
  const { size, channels, split, classes } = d.folder;
  return { name: d.name, train: d.train, test: d.test, folder: { size, channels, split, classes } };
}

function evaluationEpochs(run: Run, every: number): number[] {
  const at = new Set(run.evaluateAt);
  if (every > 0) for (let e = every; e <= run.epochs; e += every) at.add(e);
  return [...at].sort((a, b) => a - b);
}

/** What planning gathers as it goes through the experiments. */
interface Planning {
  opts: PlanOptions;
  models: Map<string, PlannedModel>;
  runs: Map<string, Run>;
  /** How often each run is evaluated: the most often any of its jobs asks for. */
  everyByRun: Map<string, number>;
  jobIds: Set<string>;
  /**
   * Runs that configurations waiting for an answer will share once it is known: the answer is
   * their epoch count alone, which does not change the run. With the experiments the answers come
   * from (all the way down), whose jobs must not wait.
   */
  awaited: Map<string, { from: Set<string>; waiting: Set<number> }>;
}

/**
 * Turns a checked pipeline into jobs (configurations x repeats) and training runs. Jobs that
 * differ only in their epoch count share one run; equal jobs in different experiments are one job.
 */
export function plan(checked: CheckedPipeline, opts: PlanOptions = {}): Plan {
  const s: Planning = {
    opts,
    models: new Map(),
    runs: new Map(),
    everyByRun: new Map(),
    jobIds: new Set(),
    awaited: new Map(),
  };
  const experiments = checked.experiments.map((e) => planExperiment(e, checked, s));
  for (const run of s.runs.values()) {
    run.training = { ...run.training, epochs: run.epochs };
    run.evaluateAt = evaluationEpochs(run, s.everyByRun.get(run.id) ?? 0);
  }
  const allRuns = [...s.runs.values()];
  return {
    file: checked.file,
    experiments,
    models: [...s.models.values()],
    runs: allRuns,
    deferred: deferredRuns(checked, experiments, allRuns, s.awaited),
    totals: {
      configurations: experiments.reduce((n, e) => n + e.configurations.length, 0),
      jobs: experiments.reduce((n, e) => n + e.jobs.length, 0),
      uniqueJobs: s.jobIds.size,
      waitingJobs: experiments.reduce((n, e) => n + e.waiting.jobs, 0),
      runs: allRuns.length,
      epochsNaive: experiments.reduce((n, e) => n + e.epochs.naive, 0),
      epochsPlanned: allRuns.reduce((n, r) => n + r.epochs, 0),
    },
  };
}

/** An experiment's jobs, the configurations that wait for an answer, and the epochs it trains. */
function planExperiment(e: CheckedExperiment, checked: CheckedPipeline, s: Planning): PlannedExperiment {
  const jobs: Job[] = [];
  const runsHere = new Map<string, number>();
  const waiting = { configurations: 0, jobs: 0 };
  for (const c of e.configurations) {
    // Its value is a stand-in until the answer it uses is known: nothing to train yet.
    if (c.waiting) {
      waiting.configurations++;
      waiting.jobs += e.repeat;
      awaitAnswer(e, c, checked, s);
      continue;
    }
    const key = addModel(c.model, s.models);
    for (let r = 0; r < e.repeat; r++) {
      const job = addJob(e, c, r, key, s);
      runsHere.set(job.run, Math.max(runsHere.get(job.run) ?? 0, c.training.epochs));
      jobs.push(job);
    }
  }
  const naive = jobs.reduce((n, j) => n + j.epochs, 0);
  const planned = [...runsHere.values()].reduce((a, b) => a + b, 0);
  return { ...e, jobs, waiting, epochs: { naive, planned } };
}

/**
 * Notes the runs a waiting configuration will share once its answer is known, when the answer
 * is only its epoch count (any other answer changes the run itself).
 */
function awaitAnswer(e: CheckedExperiment, c: Configuration, checked: CheckedPipeline, s: Planning): void {
  if (!c.uses.every((u) => u.from.resolved || u.name === "epochs")) return;
  const from = answerSources(checked.dependencies, e.title);
  for (let r = 0; r < e.repeat; r++) {
    const id = contentHash(runIdentity(c, c.seed + r, s.opts));
    const a = s.awaited.get(id) ?? { from: new Set<string>(), waiting: new Set<number>() };
    for (const t of from) a.from.add(t);
    a.waiting.add(e.number);
    s.awaited.set(id, a);
  }
}

/** The model's key; the model is added once, under the shortest of the names it goes by. */
function addModel(model: ModelSpec, models: Map<string, PlannedModel>): string {
  const key = modelKey(model);
  const known = models.get(key);
  if (!known) {
    const s = summarize(model);
    if (isProblem(s)) throw new Error(`internal: checked model ${model.name} has no summary`);
    // A block's own rows (indented under it) belong to its spec.
    let top = -1;
    const layers = s.rows.map((r) => {
      if (!r.depth) top++;
      return { ...r, spec: model.layers[top] ?? { type: "flatten" as const } };
    });
    models.set(key, { key, name: model.name, aliases: [], layers, totalParams: s.totalParams });
  } else if (known.name !== model.name && !known.aliases.includes(model.name)) {
    // The shortest name is the one people wrote on purpose (`final`, not `main mask 1-0-1-1`).
    if (model.name.length < known.name.length) {
      known.aliases.push(known.name);
      known.name = model.name;
    } else known.aliases.push(model.name);
  }
  return key;
}

/** The job of a configuration's repeat, added to the run it shares (made when new). */
function addJob(e: CheckedExperiment, c: Configuration, r: number, key: string, s: Planning): Job {
  const seed = c.seed + r;
  const identity = runIdentity(c, seed, s.opts);
  const runId = contentHash(identity);
  const id = contentHash({ ...identity, epochs: c.training.epochs });
  let run = s.runs.get(runId);
  if (!run) {
    run = {
      id: runId,
      model: c.model,
      modelKey: key,
      training: c.training,
      data: c.data,
      backend: s.opts.backend ?? c.backend,
      seed,
      epochs: 0,
      evaluateAt: [],
      jobs: [],
    };
    s.runs.set(runId, run);
  }
  run.epochs = Math.max(run.epochs, c.training.epochs);
  if (!run.evaluateAt.includes(c.training.epochs)) run.evaluateAt.push(c.training.epochs);
  s.everyByRun.set(runId, Math.max(s.everyByRun.get(runId) ?? 0, c.training.evaluateEvery));
  if (!run.jobs.includes(id)) run.jobs.push(id);
  s.jobIds.add(id);
  return {
    id,
    run: runId,
    experiment: e.number,
    configuration: c.index,
    repeat: r,
    seed,
    model: key,
    epochs: c.training.epochs,
  };
}

/** The awaited runs that no experiment an answer comes from needs: trained once the answer is known. */
function deferredRuns(
  checked: CheckedPipeline,
  experiments: PlannedExperiment[],
  runs: Run[],
  awaited: Planning["awaited"],
): Plan["deferred"] {
  const numberOf = new Map(checked.experiments.map((e) => [e.number, e.title]));
  const jobsOf = new Map(experiments.flatMap((e) => e.jobs.map((j) => [j.id, j] as const)));
  return runs.flatMap((run) => {
    const a = awaited.get(run.id);
    const feeds = run.jobs.some((id) => a?.from.has(numberOf.get(jobsOf.get(id)?.experiment ?? 0) ?? ""));
    return a && !feeds ? [{ run: run.id, waiting: [...a.waiting] }] : [];
  });
}
