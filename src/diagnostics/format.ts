import { codes } from "./codes.js";
import type { Diagnostic, Span } from "./diagnostic.js";
import { Lines } from "./lines.js";

export interface FormatOptions {
  /** ANSI colours, for terminals. */
  color?: boolean;
  /** Most diagnostics shown in full (the first by position); the rest are counted. Default 100. */
  limit?: number;
}

/** Longest stretch of a source line a frame shows; a longer line is cut around the span. */
const frameWidth = 160;
/** Characters shown before the span's start when a long line is cut. */
const frameLead = 60;

const paint = (on: boolean, code: string, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

/**
 * The source line of a span, numbered, with carets under the span (the layout of Babel's code
 * frames). Only that line is read, so framing many diagnostics reads the text once; a long line is
 * cut around the span.
 */
function frame(lines: Lines, span: Span, color: boolean): string {
  let text = lines.line(span.line);
  let column = span.column;
  // A span over several lines is underlined on its first line only: the frame stays short.
  let endColumn = span.endLine === span.line ? span.endColumn + 1 : text.length + 1;
  if (text.length > frameWidth) {
    const from = Math.max(0, Math.min(column - 1 - frameLead, text.length - frameWidth));
    const cut = text.slice(from, from + frameWidth);
    const before = from > 0 ? "…" : "";
    const after = from + frameWidth < text.length ? "…" : "";
    const shift = before.length - from;
    text = `${before}${cut}${after}`;
    column += shift;
    endColumn = Math.min(endColumn + shift, before.length + cut.length + 1);
  }
  const carets = Math.max(1, endColumn - column);
  const number = String(span.line);
  const gutter = ` ${number} |`;
  const spacing = text.slice(0, Math.max(column - 1, 0)).replace(/[^\t]/g, " ");
  return [
    `${paint(color, "1;31", ">")}${paint(color, "90", gutter)}${text.length > 0 ? ` ${text}` : ""}`,
    ` ${paint(color, "90", gutter.replace(/\d/g, " "))} ${spacing}${paint(color, "1;31", "^".repeat(carets))}`,
  ].join("\n");
}

function render(d: Diagnostic, file: string, lines: Lines, color: boolean): string {
  const head = paint(color, d.severity === "error" ? "1;31" : "1;33", `${d.severity}[${d.code}]`);
  const out = [`${head}: ${d.message}`, `  --> ${file}:${d.span.line}:${d.span.column}`];
  out.push(
    ...frame(lines, d.span, color)
      .split("\n")
      .map((l) => `  ${l}`),
  );
  const hint = d.hint ?? codes[d.code].hint;
  out.push(`  = hint: ${hint}`);
  for (const r of d.related ?? [])
    out.push(`  = note: ${r.message} at ${file}:${r.span.line}:${r.span.column}`);
  return out.join("\n");
}

/**
 * Renders a diagnostic for people: `error[E102]: message`, the place as file:line:col, the source
 * line with carets under the span, the hint, and notes pointing at related places.
 */
export function formatDiagnostic(
  d: Diagnostic,
  file: string,
  source: string,
  opts: FormatOptions = {},
): string {
  return render(d, file, new Lines(source), opts.color ?? false);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Renders the diagnostics (the first `limit` in full, the rest counted), then a one-line count. */
export function formatDiagnostics(
  ds: Diagnostic[],
  file: string,
  source: string,
  opts: FormatOptions = {},
): string {
  const color = opts.color ?? false;
  const limit = opts.limit ?? 100;
  const lines = new Lines(source);
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.length - errors;
  const parts = ds.slice(0, limit).map((d) => render(d, file, lines, color));
  if (ds.length > limit) {
    const rest = ds.slice(limit);
    const restErrors = rest.filter((d) => d.severity === "error").length;
    const more = [
      restErrors > 0 ? plural(restErrors, "more error") : "",
      rest.length > restErrors ? plural(rest.length - restErrors, "more warning") : "",
    ]
      .filter(Boolean)
      .join(" and ");
    parts.push(`... and ${more}, not shown (the first ${limit} are above)`);
  }
  const count = [errors > 0 ? plural(errors, "error") : "", warnings > 0 ? plural(warnings, "warning") : ""]
    .filter(Boolean)
    .join(", ");
  if (count) parts.push(`${file}: ${count}`);
  return parts.join("\n\n");
}
