import type { IToken } from "chevrotain";
import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import type { Pipeline } from "./ast.js";
import { parserInstance } from "./parser.js";
import { tokenSpan, toStatements } from "./to-ast.js";
import * as T from "./tokens.js";

/** Bounds the re-parses after early stops; each removes at least one token. */
const maxRounds = 200;

function isSeparator(t: IToken | undefined): boolean {
  return t?.tokenType === T.Newline || t?.tokenType === T.Semicolon;
}

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
  const continues = new Set([T.LBracket, T.LParen, T.Comma]);
  const closes = new Set([T.RBracket, T.RParen, T.Comma]);
  for (const [i, t] of tokens.entries()) {
    let type = t.tokenType;
    if (type === T.UnterminatedString || type === T.UnterminatedTriple) {
      diagnostics.push(error("E003", tokenSpan(t), "text is never closed", undefined));
      // Read on as if it were closed, so the statement it ends is not reported a second time.
      type = type === T.UnterminatedTriple ? T.TripleString : T.StringLiteral;
      out.push({
        ...t,
        image: `${t.image}"`,
        tokenType: type,
        tokenTypeIdx: type.tokenTypeIdx ?? t.tokenTypeIdx,
      });
      continue;
    }
    if (type === T.LBracket || type === T.LParen) depth++;
    else if ((type === T.RBracket || type === T.RParen) && depth > 0) depth--;
    else if ((type === T.LBrace || type === T.RBrace) && depth > 0) depth = 0;
    if (type === T.Newline && depth > 0) {
      // A list may span lines when each line break follows '[', '(' or ',' or comes before ']',
      // ')' or ','. Any other line break ends an unclosed list, so the next line reads on its own.
      const prev = out.at(-1)?.tokenType;
      const next = tokens.slice(i + 1).find((n) => n.tokenType !== T.Newline)?.tokenType;
      if ((prev && continues.has(prev)) || (next && closes.has(next))) continue;
      depth = 0;
    }
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
    const span = {
      offset: e.offset,
      endOffset: e.offset + e.length - 1,
      line,
      column,
      endLine: line,
      endColumn: column + e.length - 1,
    };
    const bad = text.slice(e.offset, e.offset + e.length);
    diagnostics.push(
      error("E001", span, `unexpected character${e.length > 1 ? "s" : ""} ${JSON.stringify(bad)}`),
    );
  }
  const parser = parserInstance;
  let tokens = prepareTokens(lexed.tokens, diagnostics);
  const seen = new Set<number>();
  let cst: ReturnType<typeof parser.pipeline> | undefined;
  // When the parser stops early (a token no statement can start with), report it, skip to the end
  // of that statement and parse again, so the rest of the file is still read and checked.
  for (let round = 0; round < maxRounds; round++) {
    parser.input = tokens;
    cst = parser.pipeline();
    for (const e of parser.errors) {
      const span =
        Number.isNaN(e.token.startOffset) || e.token.tokenType.name === "EOF"
          ? endSpan(text)
          : tokenSpan(e.token);
      if (seen.has(span.offset)) continue;
      seen.add(span.offset);
      diagnostics.push(error("E002", span, e.message));
    }
    const stop = parser.errors.find((e) => e.name === "NotAllInputParsedException");
    const at = stop ? tokens.indexOf(stop.token) : -1;
    if (at < 0) break;
    // The whole statement goes: half a statement would only be reported again by the checks.
    let start = at;
    while (start > 0 && !isSeparator(tokens[start - 1]) && tokens[start - 1]?.tokenType !== T.LBrace) start--;
    let end = at + 1;
    while (end < tokens.length && !isSeparator(tokens[end])) end++;
    tokens = [...tokens.slice(0, start), ...tokens.slice(end)];
  }
  const statements = cst ? toStatements(cst) : [];
  return { ast: { file, statements }, diagnostics };
}
