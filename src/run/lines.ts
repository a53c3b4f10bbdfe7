import type { Job, Plan } from "../plan/types.js";
import type { ResultFile } from "../store/schema.js";
import { plural } from "../util/plural.js";

const f4 = (x: number) => x.toFixed(4);

export { plural };

/** Names jobs as people read them: experiment, configuration, repeat, and which other experiments share it. */
export class JobNames {
  private readonly owners = new Map<string, number[]>();

  constructor(private readonly p: Plan) {
    for (const e of p.experiments)
      for (const j of e.jobs) {
        const list = this.owners.get(j.id) ?? [];
        if (!list.includes(e.number)) list.push(e.number);
        this.owners.set(j.id, list);
      }
  }

  /** A job as its first experiment names it, and the other experiments that have the same job. */
  of(job: Job, withOthers = true): string {
    const p = this.p;
    const e = p.experiments.find((x) => x.number === job.experiment);
    const c = e?.configurations[job.configuration];
    const reps = e?.repeat ?? 1;
    const others = withOthers
      ? (this.owners.get(job.id) ?? [])
          .filter((n) => n !== job.experiment)
          .map((n) => p.experiments.find((x) => x.number === n)?.title ?? "?")
      : [];
    const also = others.length > 0 ? ` (the same job serves ${others.join(", ")})` : "";
    return `${e?.title ?? "?"} · ${c?.label ?? "?"}${reps > 1 ? ` · repeat ${job.repeat + 1}/${reps}` : ""}${also}`;
  }
}

/** One finished job in one line: its metrics, epochs, time and back end, or its error. */
export function resultLine(r: ResultFile): string {
  if (r.status === "failed" && r.unavailable) return `not available on ${r.host.hostname}: ${r.error}`;
  if (r.status === "failed") return `FAILED: ${r.error}`;
  const ms = r.time.perSample * 1000;
  return [
    `test loss ${f4(r.test.loss)} acc ${f4(r.test.accuracy)}`,
    `train loss ${f4(r.train.loss)} acc ${f4(r.train.accuracy)}`,
    r.val ? `val loss ${f4(r.val.loss)} acc ${f4(r.val.accuracy)}` : "",
    `${plural(r.epochsTrained, "epoch")}${r.stoppedEpoch ? " (early stop)" : ""}`,
    `train ${r.time.train.toFixed(1)} s (${ms.toFixed(3)} ms/sample), test ${r.test.seconds.toFixed(2)} s`,
    r.backend.name,
  ]
    .filter(Boolean)
    .join(" · ");
}
