import type { Backend } from "../../model/index.js";
import { planFromFolder } from "../../run/load.js";
import { type ExperimentStatus, folderStatus } from "../../run/status.js";
import type { Io } from "../io.js";

/** How a table names an experiment: its number, unless its title starts with one ("1. Platforms"). */
const label = (r: ExperimentStatus): string => (/^\d/.test(r.title) ? r.title : `${r.number}. ${r.title}`);

/**
 * `cnnp status FILE`: per experiment, how many jobs are done, failed, invalid or missing, and how
 * many wait for another experiment's answer or have a back end that does not load on the host
 * that tried them (columns shown when any does).
 */
export async function statusCommand(
  file: string,
  opts: { results?: string; json?: boolean; data?: string; backend?: Backend },
  io: Io,
): Promise<number> {
  const planned = await planFromFolder(file, opts, io);
  if (typeof planned === "number") return planned;
  const { store } = planned;
  const { experiments: rows, total, waiting, failures, invalid } = folderStatus(planned.plan, planned.lookup);
  for (const x of invalid) io.err(`${x.path}: not a valid result (${x.why})`);
  if (opts.json) {
    const all = { ...total, waiting };
    io.out(
      JSON.stringify({ file, results: store.jobsDir, experiments: rows, total: all, failures }, null, 2),
    );
    return 0;
  }
  const width = Math.max(10, ...rows.map((r) => label(r).length));
  io.out(`${file}: results in ${store.jobsDir}`);
  const waits = rows.some((r) => r.waiting > 0);
  const na = rows.some((r) => r.unavailable > 0);
  io.out(
    `${"experiment".padEnd(width)}  jobs  done  failed${na ? "  not available" : ""}  invalid  missing${waits ? "  waiting" : ""}`,
  );
  for (const r of rows) {
    const cells = [String(r.jobs).padStart(4), String(r.done).padStart(4), String(r.failed).padStart(6)];
    if (na) cells.push(String(r.unavailable).padStart(13));
    cells.push(String(r.invalid).padStart(7), String(r.missing).padStart(7));
    if (waits) cells.push(String(r.waiting).padStart(7));
    io.out(`${label(r).padEnd(width)}  ${cells.join("  ")}`);
  }
  const listed = rows.reduce((n, r) => n + r.jobs, 0);
  const more = waiting > 0 ? `; ${waiting} more wait for answers` : "";
  io.out(
    `all: ${total.done} of ${total.jobs} jobs done, ${total.failed} failed${total.unavailable > 0 ? `, ${total.unavailable} not available on the hosts that tried them` : ""}, ${total.invalid} invalid, ${total.missing} missing${more}${listed > total.jobs ? ` (each once: the experiments list ${listed}, as some share jobs)` : ""}`,
  );
  for (const f of failures)
    io.out(
      `${f.unavailable ? "not available" : "failed"}: "${f.experiment}" job ${f.job} on ${f.host}: ${f.error}`,
    );
  return 0;
}
