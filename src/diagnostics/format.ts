import { codeFrameColumns } from "@babel/code-frame";
import { codes } from "./codes.js";
import type { Diagnostic, Span } from "./diagnostic.js";

export interface FormatOptions {
  /** ANSI colours, for terminals. */
  color?: boolean;
}

function frame(source: string, span: Span, color: boolean): string {
  const lines = source.split("\n");
  const lineText = lines[span.line - 1] ?? "";
  // A span over several lines is underlined on its first line only: the frame stays short.
  const endColumn = span.endLine === span.line ? span.endColumn + 1 : lineText.length + 1;
  return codeFrameColumns(
    source,
    {
      start: { line: span.line, column: span.column },
      end: { line: span.line, column: Math.max(endColumn, span.column + 1) },
    },
    { highlightCode: color, forceColor: color, linesAbove: 0, linesBelow: 0 },
  );
}

const paint = (on: boolean, code: string, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

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
  const color = opts.color ?? false;
  const head = paint(color, d.severity === "error" ? "1;31" : "1;33", `${d.severity}[${d.code}]`);
  const out = [`${head}: ${d.message}`, `  --> ${file}:${d.span.line}:${d.span.column}`];
  out.push(
    ...frame(source, d.span, color)
      .split("\n")
      .map((l) => `  ${l}`),
  );
  const hint = d.hint ?? codes[d.code].hint;
  out.push(`  = hint: ${hint}`);
  for (const r of d.related ?? [])
    out.push(`  = note: ${r.message} at ${file}:${r.span.line}:${r.span.column}`);
  return out.join("\n");
}

/** Renders all diagnostics, then a one-line count. */
export function formatDiagnostics(
  ds: Diagnostic[],
  file: string,
  source: string,
  opts: FormatOptions = {},
): string {
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.length - errors;
  const parts = ds.map((d) => formatDiagnostic(d, file, source, opts));
  const count = [
    errors > 0 ? `${errors} error${errors === 1 ? "" : "s"}` : "",
    warnings > 0 ? `${warnings} warning${warnings === 1 ? "" : "s"}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  if (count) parts.push(`${file}: ${count}`);
  return parts.join("\n\n");
}
