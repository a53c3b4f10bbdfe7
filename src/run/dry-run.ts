import { Claims } from "../execute/claims.js";
import { plannedBatches } from "../execute/pending.js";
import { JobNames, plural } from "./lines.js";
import type { Output } from "./output.js";
import type { Prepared } from "./prepare.js";

/**
 * `--dry-run`: what would be trained, on how many workers, and what is done or held by another
 * cnnp run: a line per run and per job (standard output), and the sums (standard error).
 */
export function dryRun(x: Prepared, workers: number, output: Output): number {
  const { work } = x;
  const claims = new Claims(x.store.dir);
  const names = new JobNames(x.p);
  let jobs = 0;
  let epochs = 0;
  let held = 0;
  let steps = 0;
  for (const u of work.units) {
    steps += plannedBatches(u, x.data.trainCount);
    const holder = claims.holder(u.run.id);
    if (holder) held++;
    jobs += u.jobs.length;
    epochs += u.run.epochs;
    const who = holder ? ` · being trained by another cnnp run (pid ${holder.pid} on ${holder.host})` : "";
    output.out(
      `run ${u.run.id.slice(0, 12)} · ${u.run.model.name} · seed ${u.run.seed} · ${plural(u.run.epochs, "epoch")}${who}`,
    );
    for (const j of u.jobs) output.out(`  ${names.of(j)} · ${plural(j.epochs, "epoch")}`);
  }
  for (const u of work.deferred)
    output.out(
      `run ${u.run.id.slice(0, 12)} · ${u.run.model.name} · seed ${u.run.seed} · kept back: jobs that wait for an answer will share it, so it is trained once the answer is known`,
    );
  output.err(
    `dry run: would train ${plural(jobs, "job")} in ${plural(work.units.length, "run")} (${plural(epochs, "epoch")}, ${plural(steps, "step")}) on ${plural(workers, "worker process")}; ${work.done.length} of ${plural(x.total, "job")} done before${held > 0 ? `; ${held} held by another cnnp run` : ""}${
      work.deferred.length > 0
        ? `; then, once the answers are known, ${plural(work.deferred.length, "run")} kept back (${plural(
            work.deferred.reduce((n, u) => n + u.jobs.length, 0),
            "job",
          )} now, and those that wait)`
        : ""
    }`,
  );
  return 0;
}
