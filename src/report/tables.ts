import { metricNames, pm } from "./format.js";
import type { ExperimentReport, Row } from "./schema.js";

/** A table in the study's shape: one row per configuration, mean ± sd (n) per metric. */
export interface Table {
  caption: string;
  header: string[];
  rows: string[][];
}

/** A cell for a row with no finished runs: say why, never show a zero. */
function empty(r: Row): string {
  if (r.failed > 0 && r.missing === 0) return "failed";
  if (r.failed > 0) return "failed / missing";
  return "missing";
}

export function tableOf(e: ExperimentReport): Table {
  return {
    caption: `${e.title}: mean ± standard deviation over the finished repeats (n of ${e.repeat})`,
    header: ["configuration", "n", ...e.columns.map((c) => metricNames[c])],
    rows: e.rows.map((r) => [
      `${r.label}${r.baseline && e.rows.length > 1 ? " (baseline)" : ""}`,
      `${r.ok}/${r.planned}${r.failed > 0 ? ` (${r.failed} failed)` : ""}`,
      ...e.columns.map((c) => {
        const s = r.metrics[c];
        return s ? pm(c, s) : r.ok > 0 ? "–" : empty(r);
      }),
    ]),
  };
}

const csvCell = (x: string | number | null | undefined) => {
  const s = x === null || x === undefined ? "" : String(x);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * The table as CSV for analysis: raw numbers (seconds, not ms), one column each for mean, sd, the
 * 95% interval, min and max; empty cells where there are no runs, and the status columns say why.
 */
export function csvOf(e: ExperimentReport): string {
  const names = e.varied.map((v) => v.name);
  const header = ["experiment", "configuration", ...names, "planned", "ok", "failed", "missing"];
  for (const c of e.columns)
    header.push(`${c}.mean`, `${c}.sd`, `${c}.ci95_low`, `${c}.ci95_high`, `${c}.min`, `${c}.max`);
  const lines = [header.map(csvCell).join(",")];
  for (const r of e.rows) {
    const cells: (string | number | null)[] = [
      e.title,
      r.label,
      ...names.map((n) => String(r.values[n] ?? "")),
      r.planned,
      r.ok,
      r.failed,
      r.missing,
    ];
    for (const c of e.columns) {
      const s = r.metrics[c];
      cells.push(
        s?.mean ?? null,
        s ? s.sd : null,
        s?.ci95?.[0] ?? null,
        s?.ci95?.[1] ?? null,
        s?.min ?? null,
        s?.max ?? null,
      );
    }
    lines.push(cells.map(csvCell).join(","));
  }
  return `${lines.join("\n")}\n`;
}

export function markdownOf(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    `| ${t.header.map(esc).join(" | ")} |`,
    `| ${t.header.map(() => "---").join(" | ")} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

/** Columns padded to line up in a terminal. */
export function textOf(t: Table): string {
  const width = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(width[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(t.header), line(width.map((w) => "-".repeat(w))), ...t.rows.map(line)].join("\n");
}
