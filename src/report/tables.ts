import { metricNames, pm, show, showP, signed } from "./format.js";
import { type ExperimentReport, type MetricKey, metricKeys, type Row } from "./schema.js";

/** A table in the study's shape: one row per configuration, mean ± sd (n) per metric. */
export interface Table {
  caption: string;
  header: string[];
  rows: string[][];
}

/** A cell for a row with no finished runs: say why, never show a zero. */
function empty(r: Row): string {
  if (r.waiting) return "waiting";
  if (r.unavailable > 0 && r.failed === 0 && r.missing === 0) return "not available";
  if (r.failed > 0 && r.missing === 0) return "failed";
  if (r.failed > 0) return "failed / missing";
  return "missing";
}

/** The test-accuracy difference from the baseline and its Welch p-value, or why there is none. */
function versus(r: Row, holm: boolean): string {
  if (r.baseline) return "baseline";
  const c = r.vsBaseline?.["test.accuracy"];
  if (!c || c.difference === null) return r.ok > 0 ? "no baseline runs" : empty(r);
  const d = signed(c.difference, (m) => show("test.accuracy", m));
  if (c.p === null) return `${d} (no test: n = 1)`;
  const adjusted = holm && c.pAdjusted !== null ? `; Holm ${showP(c.pAdjusted).replace(/^p /, "")}` : "";
  return `${d} (${showP(c.p)}${adjusted})`;
}

const count = new Intl.NumberFormat("en-US");

/** A row's published figures and whether they were reproduced: `test accuracy 0.8835 (reproduced)`. */
function publishedOf(e: ExperimentReport, row: number): string {
  const fs = e.figures.filter((f) => f.configuration === row);
  if (fs.length === 0) return "";
  return fs
    .map((f) => {
      const said = f.reproduced === null ? "not judged yet" : f.reproduced ? "reproduced" : "not reproduced";
      return `${metricNames[f.metric]} ${show(f.metric, f.value)} (${said})`;
    })
    .join("; ");
}

/**
 * When the rows' runs came from more than one machine, the times compare the machines as much as
 * the configurations: a sentence that says which ran where, or "" when one machine ran them all.
 */
export function machinesNote(e: ExperimentReport): string {
  const timed = e.rows.filter((r) => r.ok > 0 && r.hosts.length > 0);
  const machines = new Set(timed.flatMap((r) => r.hosts));
  if (machines.size < 2) return "";
  const same = timed.every((r) => r.hosts.length === machines.size);
  const where = same
    ? `every configuration's runs on all of them: ${[...machines].join(", ")}`
    : timed.length <= 6
      ? timed.map((r) => `${r.label} on ${r.hosts.join(" and ")}`).join("; ")
      : "which ran where is on the environment page";
  return `Training times come from ${machines.size} machines (${where}): compare them only between runs on the same machine`;
}

export function tableOf(e: ExperimentReport): Table {
  const compared = e.rows.length > 1 && e.rows.some((r) => r.baseline);
  const holm = e.rows.filter((r) => r.vsBaseline?.["test.accuracy"].p != null).length > 1;
  const machines = machinesNote(e);
  return {
    caption: `${e.title}: mean ± standard deviation over the finished repeats (n of ${e.repeat})${compared ? `; the last column is the test-accuracy difference from the baseline with its Welch's t-test p-value${holm ? ", and the p-value Holm-adjusted for the comparisons with the baseline" : ""}` : ""}${machines ? `. ${machines}` : ""}`,
    header: [
      "configuration",
      "params",
      "n",
      ...e.columns.map((c) => metricNames[c]),
      ...(compared ? ["test accuracy vs baseline"] : []),
      ...(e.figures.length > 0 ? ["published"] : []),
    ],
    rows: e.rows.map((r) => [
      `${r.label}${r.baseline && compared ? " (baseline)" : ""}`,
      r.waiting && !r.params ? "–" : count.format(r.params),
      r.waiting
        ? `0/${e.repeat}`
        : `${r.ok}/${r.planned}${r.failed > 0 ? ` (${r.failed} failed)` : ""}${r.unavailable > 0 ? ` (${r.unavailable} not available)` : ""}`,
      ...e.columns.map((c) => {
        const s = r.metrics[c];
        return s ? pm(c, s) : r.ok > 0 ? "–" : empty(r);
      }),
      ...(compared ? [versus(r, holm)] : []),
      ...(e.figures.length > 0 ? [publishedOf(e, r.index)] : []),
    ]),
  };
}

/** A text that a spreadsheet would run as a formula (OWASP's list), unless it is a plain number. */
const formulaLike = (s: string) => /^[=+\-@\t\r]/.test(s) && !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s);

const csvCell = (x: string | number | null | undefined) => {
  let s = x === null || x === undefined ? "" : String(x);
  // A title such as `=HYPERLINK(...)` must reach a spreadsheet as text: a leading quote keeps it so.
  if (typeof x === "string" && formulaLike(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The columns of a CSV: swept names and metrics, those of one experiment or of several. */
export interface CsvColumns {
  names: string[];
  metrics: MetricKey[];
}

export function csvColumns(es: ExperimentReport[]): CsvColumns {
  return {
    names: [...new Set(es.flatMap((e) => e.varied.map((v) => v.name)))],
    // Every metric any row has, not only the table's columns.
    metrics: metricKeys.filter((k) => es.some((e) => e.rows.some((r) => r.metrics[k]))),
  };
}

function csvHeader(c: CsvColumns): string {
  const header = [
    "experiment",
    "configuration",
    ...c.names,
    "params",
    "planned",
    "ok",
    "failed",
    "missing",
    "unavailable",
  ];
  for (const m of c.metrics)
    header.push(`${m}.mean`, `${m}.sd`, `${m}.ci95_low`, `${m}.ci95_high`, `${m}.min`, `${m}.max`);
  header.push(
    "test.accuracy.vs_baseline",
    "test.accuracy.welch_p",
    "test.accuracy.holm_p",
    "test.accuracy.hedges_g",
  );
  return header.map(csvCell).join(",");
}

function csvRows(e: ExperimentReport, c: CsvColumns): string[] {
  return e.rows.map((r) => {
    const cells: (string | number | null)[] = [
      e.title,
      r.label,
      ...c.names.map((n) => (r.values[n] === undefined ? "" : String(r.values[n]))),
      r.params,
      r.planned,
      r.ok,
      r.failed,
      r.missing,
      r.unavailable,
    ];
    for (const m of c.metrics) {
      const s = r.metrics[m];
      cells.push(
        s?.mean ?? null,
        s ? s.sd : null,
        s?.ci95?.[0] ?? null,
        s?.ci95?.[1] ?? null,
        s?.min ?? null,
        s?.max ?? null,
      );
    }
    const v = r.vsBaseline?.["test.accuracy"];
    cells.push(v?.difference ?? null, v?.p ?? null, v?.pAdjusted ?? null, v?.effect ?? null);
    return cells.map(csvCell).join(",");
  });
}

/**
 * Tables as CSV for analysis: raw numbers (seconds, not ms), one column each for mean, sd, the 95%
 * interval, min and max; empty cells where there are no runs, and the status columns say why.
 * Several experiments share one header, the union of their columns.
 */
export function csvOf(es: ExperimentReport | ExperimentReport[]): string {
  const list = Array.isArray(es) ? es : [es];
  const c = csvColumns(list);
  return `${[csvHeader(c), ...list.flatMap((e) => csvRows(e, c))].join("\n")}\n`;
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
