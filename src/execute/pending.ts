import type { Job, Plan, Run, Unit } from "../plan/types.js";
import type { OkResult } from "../store/schema.js";
import type { Stored } from "../store/store.js";
import { batchesPerEpoch, trainSplit } from "../train/split.js";

/** What the store holds for a job, by job id. */
export type Lookup = (jobId: string) => Stored;

export interface Pending {
  /** The selected jobs, once each, in plan order. */
  selected: Job[];
  /** What the store holds for every job looked at (the selected ones and those the units serve). */
  stored: Map<string, Stored>;
  /** Selected jobs with a valid ok result. */
  done: OkResult[];
  /** What is left to train, in plan order: each run cut to the epochs its pending selected jobs need. */
  units: Unit[];
  /**
   * Units kept back (not in `units`): jobs of the selection that wait for an answer will share
   * their runs once it is known, so `cnnp run` trains them then, or last if it never comes.
   */
  deferred: Unit[];
  /** Jobs the units serve that were not selected (they come free with a selected job's run). */
  extra: Job[];
}

const okOf = (s: Stored | undefined): OkResult | null =>
  s?.kind === "valid" && s.result.status === "ok" ? s.result : null;

/**
 * The unit's jobs that are still to do (no valid ok result), and the results of the others: a
 * unit is looked at again when claimed, since another cnnp run may have finished some of it.
 */
export function unfinishedOf(unit: Unit, lookup: Lookup): { left: Unit | null; done: OkResult[] } {
  const left: Job[] = [];
  const done: OkResult[] = [];
  for (const job of unit.jobs) {
    const ok = okOf(lookup(job.id));
    if (ok) done.push(ok);
    else left.push(job);
  }
  return { left: left.length > 0 ? { ...unit, jobs: left } : null, done };
}

/** The run trained only as far as `epochs`: the evaluation points past it go too. */
function cut(run: Run, epochs: number): Run {
  if (epochs === run.epochs) return run;
  return {
    ...run,
    epochs,
    training: { ...run.training, epochs },
    evaluateAt: run.evaluateAt.filter((e) => e <= epochs),
  };
}

/**
 * The pending work of a plan in a store, for a selection of experiments (all when `only` is
 * undefined): used by `cnnp run`, its `--dry-run` and `cnnp status`. A selected job is pending
 * unless the store has a valid ok result for it (failed and invalid results are trained again).
 *
 * No training is thrown away and none goes further than the selection needs: a run is trained to
 * the largest epoch count among its pending selected jobs, and it then serves every job of the run,
 * selected or not, whose epoch count it reaches and which has no result yet.
 */
export function pendingWork(p: Plan, lookup: Lookup, only?: ReadonlySet<number>): Pending {
  const stored = new Map<string, Stored>();
  const read = (id: string): Stored => {
    let s = stored.get(id);
    if (!s) {
      s = lookup(id);
      stored.set(id, s);
    }
    return s;
  };
  const jobs = new Map<string, Job>();
  const selectedIds = new Set<string>();
  const selected: Job[] = [];
  for (const e of p.experiments)
    for (const j of e.jobs) {
      if (!jobs.has(j.id)) jobs.set(j.id, j);
      if ((only === undefined || only.has(e.number)) && !selectedIds.has(j.id)) {
        selectedIds.add(j.id);
        selected.push(jobs.get(j.id) as Job);
      }
    }
  const done: OkResult[] = [];
  for (const j of selected) {
    const ok = okOf(read(j.id));
    if (ok) done.push(ok);
  }
  const continuing = halvingRuns(p);
  const units: Unit[] = [];
  const deferred: Unit[] = [];
  const extra: Job[] = [];
  const keep = new Set(
    p.deferred.filter((d) => only === undefined || d.waiting.some((n) => only.has(n))).map((d) => d.run),
  );
  for (const run of p.runs) {
    const need = run.jobs
      .filter((id) => selectedIds.has(id) && !okOf(read(id)))
      .reduce((n, id) => Math.max(n, (jobs.get(id) as Job).epochs), 0);
    if (need === 0) continue;
    const serves = run.jobs
      .map((id) => jobs.get(id) as Job)
      .filter((j) => j.epochs <= need && !okOf(read(j.id)));
    for (const j of serves) if (!selectedIds.has(j.id)) extra.push(j);
    const unit: Unit = { run: cut(run, need), jobs: serves };
    // A successive halving candidate below its search's last rung may go on: its run is kept.
    if (need < (continuing.get(run.id) ?? 0)) unit.keep = true;
    (keep.has(run.id) ? deferred : units).push(unit);
  }
  return { selected, stored, done, units, deferred, extra };
}

/** The runs of successive halving searches' candidates, each with the last rung's epochs. */
function halvingRuns(p: Plan): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of p.experiments) {
    const last = e.search?.rungs?.[e.search.rungs.length - 1]?.epochs;
    if (last !== undefined) for (const j of e.jobs) out.set(j.run, Math.max(out.get(j.run) ?? 0, last));
  }
  return out;
}

/** Training steps (batches) a unit takes, given how many training images there are. */
export function plannedBatches(unit: Unit, trainCount: number): number {
  const { splitAt } = trainSplit(unit.run.data, unit.run.training, trainCount);
  return unit.run.epochs * batchesPerEpoch(splitAt, unit.run.training);
}
