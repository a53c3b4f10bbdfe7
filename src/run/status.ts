import { pendingWork } from "../execute/pending.js";
import type { Plan } from "../plan/types.js";
import type { Stored } from "../store/store.js";

/** What the results folder holds of one experiment's jobs. */
export interface ExperimentStatus {
  number: number;
  title: string;
  jobs: number;
  done: number;
  failed: number;
  /** Its back end does not load on the host that tried it: not a failure of training. */
  unavailable: number;
  invalid: number;
  missing: number;
  /** Jobs not planned yet: their configurations wait for another experiment's answer. */
  waiting: number;
}

/** A failed job: where, why and on which host (a back end that does not load, say). */
export interface Failure {
  experiment: string;
  job: string;
  error: string;
  host: string;
  /** Its back end did not load there (the job is not counted as failed). */
  unavailable: boolean;
}

type Kind = "done" | "failed" | "unavailable" | "invalid" | "missing";

/** What the results folder holds of a plan: per experiment, in all, and what failed or is not valid. */
export interface FolderStatus {
  experiments: ExperimentStatus[];
  /** The whole plan, each job once (experiments share jobs: a baseline, a shared run). */
  total: Record<Kind, number> & { jobs: number };
  /** Jobs that wait for answers, over the experiments. */
  waiting: number;
  /** Each failed job once, with the first experiment that has it. */
  failures: Failure[];
  /** The files counted as invalid, and why (a FIFO or a link in jobs/ is never read). */
  invalid: { path: string; why: string }[];
}

/** `cnnp status`'s counts: each job of the plan as the results folder holds it. */
export function folderStatus(p: Plan, lookup: (jobId: string) => Stored): FolderStatus {
  const { stored } = pendingWork(p, lookup);
  const invalid = [...stored.values()].flatMap((s) =>
    s.kind === "invalid" ? [{ path: s.path, why: s.why }] : [],
  );
  const failures = new Map<string, Failure>();
  const unique = new Map<string, Kind>();
  const experiments: ExperimentStatus[] = p.experiments.map((e) => {
    const row: ExperimentStatus = {
      number: e.number,
      title: e.title,
      jobs: e.jobs.length,
      done: 0,
      failed: 0,
      unavailable: 0,
      invalid: 0,
      missing: 0,
      waiting: e.waiting.jobs,
    };
    for (const j of e.jobs) {
      const s = stored.get(j.id) ?? lookup(j.id);
      const kind: Kind =
        s.kind === "missing" || s.kind === "invalid"
          ? s.kind
          : s.result.status === "ok"
            ? "done"
            : s.result.unavailable
              ? "unavailable"
              : "failed";
      row[kind]++;
      unique.set(j.id, kind);
      if (s.kind === "valid" && s.result.status === "failed" && !failures.has(j.id))
        failures.set(j.id, {
          experiment: e.title,
          job: j.id,
          error: s.result.error,
          host: s.result.host.hostname,
          unavailable: s.result.unavailable === true,
        });
    }
    return row;
  });
  const total = { jobs: unique.size, done: 0, failed: 0, unavailable: 0, invalid: 0, missing: 0 };
  for (const kind of unique.values()) total[kind]++;
  const waiting = experiments.reduce((n, r) => n + r.waiting, 0);
  return { experiments, total, waiting, failures: [...failures.values()], invalid };
}
