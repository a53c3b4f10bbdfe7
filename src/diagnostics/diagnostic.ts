import type { Code } from "./codes.js";

/** A place in a source file. Lines and columns are 1-based; `end` is inclusive. */
export interface Span {
  /** Offset of the first character. */
  offset: number;
  /** Offset of the last character (inclusive). */
  endOffset: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** A related place a diagnostic points at, e.g. where a name was first defined. */
export interface Related {
  span: Span;
  message: string;
}

export interface Diagnostic {
  code: Code;
  severity: "error" | "warning";
  message: string;
  span: Span;
  /** What to do about it. */
  hint?: string;
  related?: Related[];
}

/** Builds an error diagnostic; the hint defaults to the catalogue's. */
export function error(
  code: Code,
  span: Span,
  message: string,
  hint?: string,
  related?: Related[],
): Diagnostic {
  const d: Diagnostic = { code, severity: "error", message, span };
  if (hint !== undefined) d.hint = hint;
  if (related !== undefined && related.length > 0) d.related = related;
  return d;
}

/** A span covering `a` through `b`. */
export function joinSpans(a: Span, b: Span): Span {
  return {
    offset: a.offset,
    endOffset: b.endOffset,
    line: a.line,
    column: a.column,
    endLine: b.endLine,
    endColumn: b.endColumn,
  };
}

/** Orders diagnostics by position, so output reads top to bottom. */
export function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.span.offset - b.span.offset || a.code.localeCompare(b.code);
}

/** The file's first character: where problems of the whole file are reported. */
export const startOfFile: Span = { offset: 0, endOffset: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };
