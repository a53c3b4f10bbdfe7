import { pendingWork } from "../../execute/pending.js";
import type { Backend } from "../../model/index.js";
import type { Io } from "../io.js";
import { planOfFile } from "./plan-input.js";

interface ExperimentStatus {
  number: number;
  title: string;
  jobs: number;
  done: number;
  failed: number;
  invalid: number;
  missing: number;
  /** Jobs not planned yet: their configurations wait for another experiment's answer. */
  waiting: number;
}

/** A failed job: where, why and on which host (a back end that does not load, say). */
interface Failure {
  experiment: string;
  job: string;
  error: string;
  host: string;
}

/** How a table names an experiment: its number, unless its title starts with one ("1. Platforms"). */
const label = (r: ExperimentStatus): string => (/^\d/.test(r.title) ? r.title : `${r.number}. ${r.title}`);

/**
 * `cnnp status FILE`: per experiment, how many jobs are done, failed, invalid or missing, and how
 * many wait for another experiment's answer (a column shown when any does).
 */
export async function statusCommand(
  file: string,
  opts: { results?: string; json?: boolean; data?: string; backend?: Backend },
  io: Io,
): Promise<number> {
  const planned = await planOfFile(file, opts, io);
  if (typeof planned === "number") return planned;
  const { plan: p, store } = planned;
  const { stored } = pendingWork(p, planned.lookup);
  // Which files are counted as invalid, and why (a FIFO or a link in jobs/ is never read).
  for (const s of stored.values())
    if (s.kind === "invalid") io.err(`${s.path}: not a valid result (${s.why})`);
  const failures = new Map<string, Failure>();
  const unique = new Map<string, keyof Omit<ExperimentStatus, "number" | "title" | "jobs" | "waiting">>();
  const rows: ExperimentStatus[] = p.experiments.map((e) => {
    const row: ExperimentStatus = {
      number: e.number,
      title: e.title,
      jobs: e.jobs.length,
      done: 0,
      failed: 0,
      invalid: 0,
      missing: 0,
      waiting: e.waiting.jobs,
    };
    for (const j of e.jobs) {
      const s = stored.get(j.id) ?? planned.lookup(j.id);
      const kind =
        s.kind === "missing" || s.kind === "invalid" ? s.kind : s.result.status === "ok" ? "done" : "failed";
      row[kind]++;
      unique.set(j.id, kind);
      if (s.kind === "valid" && s.result.status === "failed" && !failures.has(j.id))
        failures.set(j.id, {
          experiment: e.title,
          job: j.id,
          error: s.result.error,
          host: s.result.host.hostname,
        });
    }
    return row;
  });
  // The whole plan, each job once (experiments share jobs: a baseline, a shared run).
  const total = { jobs: unique.size, done: 0, failed: 0, invalid: 0, missing: 0 };
  for (const kind of unique.values()) total[kind]++;
  const waiting = rows.reduce((n, r) => n + r.waiting, 0);
  if (opts.json) {
    const all = { ...total, waiting };
    io.out(
      JSON.stringify(
        { file, results: store.jobsDir, experiments: rows, total: all, failures: [...failures.values()] },
        null,
        2,
      ),
    );
    return 0;
  }
  const width = Math.max(10, ...rows.map((r) => label(r).length));
  io.out(`${file}: results in ${store.jobsDir}`);
  const waits = rows.some((r) => r.waiting > 0);
  io.out(`${"experiment".padEnd(width)}  jobs  done  failed  invalid  missing${waits ? "  waiting" : ""}`);
  for (const r of rows) {
    io.out(
      `${label(r).padEnd(width)}  ${String(r.jobs).padStart(4)}  ${String(r.done).padStart(4)}  ${String(r.failed).padStart(6)}  ${String(r.invalid).padStart(7)}  ${String(r.missing).padStart(7)}${waits ? `  ${String(r.waiting).padStart(7)}` : ""}`,
    );
  }
  const listed = rows.reduce((n, r) => n + r.jobs, 0);
  const more = waiting > 0 ? `; ${waiting} more wait for answers` : "";
  io.out(
    `all: ${total.done} of ${total.jobs} jobs done, ${total.failed} failed, ${total.invalid} invalid, ${total.missing} missing${more}${listed > total.jobs ? ` (each once: the experiments list ${listed}, as some share jobs)` : ""}`,
  );
  for (const f of failures.values())
    io.out(`failed: "${f.experiment}" job ${f.job} on ${f.host}: ${f.error}`);
  return 0;
}
