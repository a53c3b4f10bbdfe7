import type { Unit } from "../plan/types.js";
import { dryRun } from "./dry-run.js";
import { plural } from "./lines.js";
import type { Messages } from "./output.js";
import { type PassSettings, type SessionOutput, trainPass, workersFor } from "./pass.js";
import { type Prepared, planPass, type RunTarget, setUp } from "./prepare.js";

/** What `cnnp run` is asked to do, its flags parsed. */
export interface RunRequest extends RunTarget, PassSettings {
  /** Show what would be trained, and train nothing. */
  dryRun: boolean;
}

/**
 * `cnnp run`: reads the pipeline and the data once, then plans and trains in passes. Experiments
 * that use others' answers wait for them: a pass trains what can be trained, then the pipeline is
 * planned again with the answers its results give, until nothing new can be trained. A job that
 * failed in this session is not tried again by its later passes (the next `cnnp run` tries it
 * again), and a failure does not hold up the jobs that other answers unlock. The exit code: 0, 1
 * when a job failed (or the pipeline has errors), 2 for wrong usage or data, 130 or 143 when
 * interrupted.
 */
export async function runSession(req: RunRequest, output: SessionOutput): Promise<number> {
  const setup = await setUp(req, output);
  if (typeof setup === "number") return setup;
  const tried = new Set<string>();
  let failed = false;
  let x: Prepared | number = planPass(setup, output, false);
  for (;;) {
    if (typeof x === "number") return x;
    const pass = req.dryRun
      ? { code: dryRun(x, workersFor(req, x), output), failed: false }
      : await trainPass(x, req, output);
    for (const u of x.work.units) for (const j of u.jobs) tried.add(j.id);
    failed ||= pass.failed;
    const waiting = waitingOn(x);
    if (pass.code !== 0) return pass.code;
    if (req.dryRun || waiting.length === 0) return failed ? 1 : 0;
    const next = planPass(setup, output, true);
    if (typeof next === "number") return next;
    const more = nextWork(next, waiting, tried, output);
    if (!more) return failed ? 1 : 0;
    x = more;
  }
}

/** How many of a search's candidates are known (halving: candidate rungs). */
const known = (e: Prepared["p"]["experiments"][number]) =>
  e.search?.rungs
    ? `${e.configurations.length} of its ${e.search.planned} candidate rungs`
    : `${e.configurations.length} of its ${e.search?.count} candidates`;

/**
 * The experiments of the selection that still wait for answers, and for which; and the searches
 * with candidates still to propose from the results of those trained.
 */
function waitingOn(x: Prepared): string[] {
  const selected = (e: { number: number }) => !x.selection || x.selection.has(e.number);
  const searching = x.p.experiments
    .filter((e) => e.search && e.configurations.length < e.search.planned && selected(e))
    .map((e) => `"${e.title}" has ${known(e)}`);
  return [
    ...searching,
    ...x.p.experiments
      .filter((e) => e.waiting.configurations > 0 && selected(e))
      .map((e) => {
        const on = new Set(
          e.configurations.flatMap((c) =>
            c.uses.filter((u) => !u.from.resolved).map((u) => `"${u.from.experiment}"`),
          ),
        );
        return `"${e.title}" waits for ${[...on].join(" and ")}`;
      }),
  ];
}

/**
 * The work of the next pass, planned with the answers known now: the units of jobs not tried yet
 * in this session. When there are none (the answers did not come: their jobs failed, say), the
 * runs kept back for the jobs that wait for them are trained now, for the jobs they have. Says
 * which; null when nothing is left to train.
 */
function nextWork(next: Prepared, waiting: string[], tried: Set<string>, say: Messages): Prepared | null {
  const untriedOf = (units: Unit[]) =>
    units
      .map((u) => ({ ...u, jobs: u.jobs.filter((j) => !tried.has(j.id)) }))
      .filter((u) => u.jobs.length > 0);
  const untried = untriedOf(next.work.units);
  const found = next.p.experiments
    .filter((e) => waiting.some((w) => w.startsWith(`"${e.title}"`)))
    .flatMap((e) => e.configurations.flatMap((c) => c.uses.filter((u) => u.from.resolved)))
    .map((u) => `${u.name} ${u.value} from "${u.from.experiment}" (${u.from.detail})`);
  if (untried.length === 0) {
    const late = untriedOf(next.work.deferred);
    // The answers may have come and need nothing new: their jobs shared with those trained.
    const still = waitingOn(next);
    if (still.length === 0) {
      if (found.length > 0)
        say.err(`answers now known: ${[...new Set(found)].join("; ")}; their jobs are already done`);
      return null;
    }
    if (late.length === 0) {
      say.err(`still waiting for answers: ${still.join("; ")}`);
      return null;
    }
    say.err(
      `still waiting for answers: ${still.join("; ")}; training the ${plural(late.length, "run")} kept back for the jobs that wait, without them`,
    );
    return { ...next, work: { ...next.work, units: late, deferred: [] } };
  }
  const proposed = next.p.experiments
    .filter((e) => e.search && waiting.some((w) => w.startsWith(`"${e.title}"`)))
    .map((e) => `"${e.title}" has ${known(e)}`);
  if (found.length > 0)
    say.err(`answers now known: ${[...new Set(found)].join("; ")}; training what waited for them`);
  if (proposed.length > 0)
    say.err(`search: ${proposed.join("; ")}, the new ones proposed from the results of those before`);
  return { ...next, work: { ...next.work, units: untried } };
}
