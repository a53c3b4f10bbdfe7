import type { Backend } from "../../check/types.js";
import { pendingWork } from "../../execute/pending.js";
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
      if (s.kind === "missing") row.missing++;
      else if (s.kind === "invalid") row.invalid++;
      else if (s.result.status === "ok") row.done++;
      else row.failed++;
    }
    return row;
  });
  if (opts.json) {
    io.out(JSON.stringify({ file, results: store.jobsDir, experiments: rows }, null, 2));
    return 0;
  }
  const width = Math.max(10, ...rows.map((r) => r.title.length + 4));
  io.out(`${file}: results in ${store.jobsDir}`);
  const waits = rows.some((r) => r.waiting > 0);
  io.out(`${"experiment".padEnd(width)}  jobs  done  failed  invalid  missing${waits ? "  waiting" : ""}`);
  for (const r of rows) {
    io.out(
      `${`${r.number}. ${r.title}`.padEnd(width)}  ${String(r.jobs).padStart(4)}  ${String(r.done).padStart(4)}  ${String(r.failed).padStart(6)}  ${String(r.invalid).padStart(7)}  ${String(r.missing).padStart(7)}${waits ? `  ${String(r.waiting).padStart(7)}` : ""}`,
    );
  }
  return 0;
}
