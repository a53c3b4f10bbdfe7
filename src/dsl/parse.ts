import type { IToken } from "chevrotain";
import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import type { Pipeline } from "./ast.js";
import { parserInstance } from "./parser.js";
import { toStatements, tokenSpan } from "./to-ast.js";
import * as T from "./tokens.js";

export interface ParseResult {
  ast: Pipeline;
  diagnostics: Diagnostic[];
}

/** The position just past the last character, for errors at the end of the file. */
function endSpan(text: string): Span {
  const lines = text.split("\n");
  const line = lines.length;
  const column = (lines.at(-1)?.length ?? 0) + 1;
  const offset = Math.max(0, text.length - 1);
  return { offset, endOffset: offset, line, column, endLine: line, endColumn: column };
}

/**
 * Drops new lines inside brackets and parentheses, so lists can span lines, and turns unclosed
 * text into one diagnostic each.
 */
function prepareTokens(tokens: IToken[], diagnostics: Diagnostic[]): IToken[] {
  const out: IToken[] = [];
  let depth = 0;
  for (const t of tokens) {
    const type = t.tokenType;
    if (type === T.UnterminatedString || type === T.UnterminatedTriple) {
      diagnostics.push(error("E003", tokenSpan(t), "text is never closed", undefined));
      continue;
    }
    if (type === T.LBracket || type === T.LParen) depth++;
    else if ((type === T.RBracket || type === T.RParen) && depth > 0) depth--;
    else if ((type === T.LBrace || type === T.RBrace) && depth > 0) depth = 0;
    if (type === T.Newline && depth > 0) continue;
    out.push(t);
  }
  return out;
}

/**
 * Parses a pipeline. Never throws: every lexical and syntax error is returned as a diagnostic,
 * and the AST holds every statement that could be read.
 */
export function parse(text: string, file = "<input>"): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lexed = T.cnnpLexer.tokenize(text);
  for (const e of lexed.errors) {
    const line = e.line ?? 1;
    const column = e.column ?? 1;
    const span = { offset: e.offset, endOffset: e.offset + e.length - 1, line, column, endLine: line, endColumn: column + e.length - 1 };
    const bad = text.slice(e.offset, e.offset + e.length);
    diagnostics.push(error("E001", span, `unexpected character${e.length > 1 ? "s" : ""} ${JSON.stringify(bad)}`));
  }
  const parser = parserInstance;
  parser.input = prepareTokens(lexed.tokens, diagnostics);
  const cst = parser.pipeline();
  const seen = new Set<number>();
  for (const e of parser.errors) {
    const span = Number.isNaN(e.token.startOffset) || e.token.tokenType.name === "EOF" ? endSpan(text) : tokenSpan(e.token);
    if (seen.has(span.offset)) continue;
    seen.add(span.offset);
    diagnostics.push(error("E002", span, e.message));
  }
  const statements = cst ? toStatements(cst) : [];
  return { ast: { file, statements }, diagnostics };
}
