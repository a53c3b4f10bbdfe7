import { TPE_BATCH } from "../check/search.js";
import { type Compiled, compile } from "../compile.js";
import { type Answers, type CheckedPipeline, columnOf, type Observed } from "../model/index.js";
import type { Plan } from "../plan/types.js";
import { STARTUP } from "../search/index.js";
import type { Stored } from "../store/store.js";
import { answersFromResults, triedOf } from "./answers.js";

/** A plan, and how to find each of its jobs' results. */
export interface PlanAndResults {
  plan: Plan;
  lookup: (jobId: string) => Stored;
}

export interface Resolved {
  /** The last compile: with the answers the results gave, when references needed them. */
  compiled: Compiled;
  /** Null when the pipeline has errors. */
  planned: PlanAndResults | null;
}

/** The answers, from finished results, of the experiments whose answers others use. */
function answersOf(checked: CheckedPipeline, planned: PlanAndResults): Answers {
  const answers: Answers = new Map();
  const wanted = new Set(checked.dependencies.map((d) => d.to));
  for (const e of planned.plan.experiments)
    if (wanted.has(e.title)) answers.set(e.title, answersFromResults(e, planned.lookup));
  return answers;
}

/**
 * Each search's candidates' scores from finished results: the metric's mean over the repeats,
 * negated when higher is better; a candidate whose jobs all failed scores worst; null while any of
 * its jobs has no result.
 */
function observedOf(checked: CheckedPipeline, planned: PlanAndResults): Observed {
  const observed: Observed = new Map();
  for (const e of planned.plan.experiments) {
    const search = checked.experiments.find((x) => x.title === e.title)?.search;
    if (!search) continue;
    const column = columnOf(search.metric);
    const { rows } = triedOf(e, planned.lookup);
    observed.set(
      e.title,
      rows.map((r) => {
        // Not trained yet, or waiting for another experiment: no score to propose from.
        if (r.missing > 0 || r.ok + r.failed === 0) return null;
        // A candidate that failed in any repeat (a loss gone NaN, say) is scored worst: its
        // surviving repeats would flatter it.
        if (r.failed > 0) return Number.MAX_VALUE;
        const m = r.metrics[column];
        if (!m) return Number.MAX_VALUE;
        return search.higher ? -m.mean : m.mean;
      }),
    );
  }
  return observed;
}

/**
 * The rounds that can still learn something: one per experiment along a chain of references, and
 * one per batch of each TPE search (its candidates only grow while the results stay the same).
 */
function roundsFor(p: CheckedPipeline): number {
  const batches = p.experiments.reduce((n, e) => {
    if (e.search?.strategy === "tpe")
      return n + Math.ceil(Math.max(0, e.search.count - STARTUP) / TPE_BATCH) + 1;
    // Successive halving learns one rung per round.
    return n + (e.search?.rungs?.length ?? 0);
  }, 0);
  return p.experiments.length + 1 + batches;
}

const sameObserved = (a: Observed, b: Observed) => JSON.stringify([...a]) === JSON.stringify([...b]);

const same = (a: Answers, b: Answers) =>
  JSON.stringify([...a].map(([t, m]) => [t, [...m]])) === JSON.stringify([...b].map(([t, m]) => [t, [...m]]));

/**
 * Plans a compiled pipeline with every answer its references (`epochs from "6.2"`) can have from
 * the finished results: plan, answer the experiments referred to, compile again with those
 * answers and plan again, until nothing new is learnt. A chain of n references takes n + 1 rounds;
 * what is still unanswered then waits. `first` is the pipeline compiled without answers (it is
 * not compiled again); `planOf` plans a checked pipeline and finds its results.
 */
export function planWithAnswers(
  first: Compiled,
  planOf: (pipeline: CheckedPipeline) => PlanAndResults,
): Resolved {
  let answers: Answers = new Map();
  let observed: Observed = new Map();
  let compiled = first;
  for (let round = 0; ; round++) {
    if (!compiled.pipeline) return { compiled, planned: null };
    const planned = planOf(compiled.pipeline);
    const searches = compiled.pipeline.experiments.some((e) => e.search);
    if (compiled.pipeline.dependencies.length === 0 && !searches) return { compiled, planned };
    const next = answersOf(compiled.pipeline, planned);
    const nextObserved = observedOf(compiled.pipeline, planned);
    // Cycles are errors, so answers settle along the chains within one round per experiment; a
    // search learns one batch of candidates per round at most, each needing training first.
    const settledAll = same(next, answers) && sameObserved(nextObserved, observed);
    if (settledAll || round > roundsFor(compiled.pipeline)) return { compiled, planned };
    answers = next;
    observed = nextObserved;
    compiled = compile(first.source, first.file, answers, observed);
  }
}
