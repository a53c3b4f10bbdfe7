import type { IToken, TokenType } from "chevrotain";
import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import { Lines } from "../diagnostics/lines.js";
import type { Pipeline, Statement } from "./ast.js";
import { parserInstance } from "./parser.js";
import { tokenSpan, toStatements } from "./to-ast.js";
import * as T from "./tokens.js";

/** Bounds the re-parses after early stops; each removes at least one token. */
const maxRounds = 200;

/**
 * How deep experiment blocks may nest before the parser refuses them: src/bounds.ts's `nesting`,
 * which compile passes in (the parse stage cannot import the checker's bounds).
 */
export const defaultMaxNesting = 32;

/** Longest stretch of unexpected characters quoted in full in an E001 message. */
const quotedChars = 40;

function isSeparator(t: IToken | undefined): boolean {
  return t?.tokenType === T.Newline || t?.tokenType === T.Semicolon;
}

export interface ParseOptions {
  /** Experiments nested deeper than this are an error (E133), and are not parsed. */
  maxNesting?: number;
}

export interface ParseResult {
  ast: Pipeline;
  diagnostics: Diagnostic[];
}

/** The position just past the last character, for errors at the end of the file. */
function endSpan(lines: Lines): Span {
  const { line, column } = lines.end();
  const offset = Math.max(0, lines.text.length - 1);
  return { offset, endOffset: offset, line, column, endLine: line, endColumn: column };
}

function tooDeep(t: IToken, maxNesting: number): Diagnostic {
  return error(
    "E133",
    tokenSpan(t),
    `blocks are nested more than ${maxNesting} deep here`,
    "Experiments cannot nest: close each experiment's block with '}' before the next one begins.",
  );
}

/**
 * Drops new lines inside brackets and parentheses, so lists can span lines; turns unclosed text
 * into one diagnostic each; and drops every block that opens deeper than `maxNesting`, with the
 * statement it belongs to, after one diagnostic (E133), so the parser never recurses that deep.
 * One pass over the tokens.
 */
function prepareTokens(tokens: IToken[], diagnostics: Diagnostic[], maxNesting: number): IToken[] {
  const out: IToken[] = [];
  let depth = 0;
  let braces = 0;
  const continues = new Set([T.LBracket, T.LParen, T.Comma]);
  const closes = new Set([T.RBracket, T.RParen, T.Comma]);
  // The kind of the first token after position i that is not a new line.
  const nextKind: (TokenType | undefined)[] = new Array(tokens.length);
  let following: TokenType | undefined;
  for (let i = tokens.length - 1; i >= 0; i--) {
    nextKind[i] = following;
    const k = tokens[i]?.tokenType;
    if (k !== T.Newline) following = k;
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as IToken;
    let type = t.tokenType;
    if (type === T.LBrace && braces >= maxNesting) {
      diagnostics.push(tooDeep(t, maxNesting));
      // The statement that opened this block goes, then everything through its closing brace.
      while (out.length > 0 && !isSeparator(out.at(-1)) && out.at(-1)?.tokenType !== T.LBrace) out.pop();
      let open = 0;
      for (; i < tokens.length; i++) {
        const k = tokens[i]?.tokenType;
        if (k === T.LBrace) open++;
        else if (k === T.RBrace && --open === 0) break;
      }
      continue;
    }
    if (type === T.LBrace) braces++;
    else if (type === T.RBrace && braces > 0) braces--;
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
      const next = nextKind[i];
      if ((prev && continues.has(prev)) || (next && closes.has(next))) continue;
      depth = 0;
    }
    out.push(t);
  }
  return out;
}

/** Lexer errors as E001, quoting at most a few characters of a long run. */
function lexErrors(text: string, lexed: ReturnType<typeof T.cnnpLexer.tokenize>, diagnostics: Diagnostic[]) {
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
    const bad = text.slice(e.offset, e.offset + Math.min(e.length, quotedChars));
    const more = e.length > quotedChars ? ` (and ${e.length - quotedChars} more)` : "";
    diagnostics.push(
      error("E001", span, `unexpected character${e.length > 1 ? "s" : ""} ${JSON.stringify(bad)}${more}`),
    );
  }
}

/**
 * Parses a pipeline. Never throws: every lexical and syntax error is returned as a diagnostic,
 * and the AST holds every statement that could be read. Linear in the text's length.
 */
export function parse(text: string, file = "<input>", opts: ParseOptions = {}): ParseResult {
  const maxNesting = opts.maxNesting ?? defaultMaxNesting;
  const diagnostics: Diagnostic[] = [];
  const lexed = T.cnnpLexer.tokenize(text);
  lexErrors(text, lexed, diagnostics);
  const parser = parserInstance;
  let tokens = prepareTokens(lexed.tokens, diagnostics, maxNesting);
  const seen = new Set<number>();
  let lines: Lines | undefined;
  const statements: Statement[] = [];
  // When the parser stops early (a token no statement can start with), report it, drop that
  // statement and parse on from the top-level statement it was part of, so the rest of the file
  // is still read and checked. The statements before that one are final: each token is parsed a
  // bounded number of times.
  for (let round = 0; round < maxRounds; round++) {
    parser.resetNesting(maxNesting);
    parser.input = tokens;
    const cst = parser.pipeline();
    for (const e of parser.errors) {
      const eof = Number.isNaN(e.token.startOffset) || e.token.tokenType.name === "EOF";
      if (eof) lines ??= new Lines(text);
      const span = eof && lines ? endSpan(lines) : tokenSpan(e.token);
      if (seen.has(span.offset)) continue;
      seen.add(span.offset);
      diagnostics.push(error("E002", span, e.message));
    }
    for (const t of parser.tooDeep) {
      const span = tokenSpan(t);
      if (seen.has(-1 - span.offset)) continue;
      seen.add(-1 - span.offset);
      diagnostics.push(tooDeep(t, maxNesting));
    }
    const stop = parser.errors.find((e) => e.name === "NotAllInputParsedException");
    const at = stop ? tokens.indexOf(stop.token) : -1;
    const read = toStatements(cst);
    if (at < 0) {
      statements.push(...read);
      break;
    }
    // The whole statement goes: half a statement would only be reported again by the checks.
    let start = at;
    while (start > 0 && !isSeparator(tokens[start - 1]) && tokens[start - 1]?.tokenType !== T.LBrace) start--;
    let end = at + 1;
    while (end < tokens.length && !isSeparator(tokens[end])) end++;
    // The top-level statement that holds it is read again without it; those before it are done.
    let top = 0;
    let braces = 0;
    for (let i = 0; i < start; i++) {
      const k = tokens[i]?.tokenType;
      if (k === T.LBrace) braces++;
      else if (k === T.RBrace) braces = Math.max(0, braces - 1);
      else if (braces === 0 && isSeparator(tokens[i])) top = i + 1;
    }
    const from = tokens[top]?.startOffset ?? Number.POSITIVE_INFINITY;
    const done = read.filter((s) => s.span.offset < from);
    // A statement across that point (recovery opened a block without its '{'): read it all again.
    if (done.some((s) => s.span.endOffset >= from)) top = 0;
    else statements.push(...done);
    tokens = tokens.slice(top, start).concat(tokens.slice(end));
  }
  return { ast: { file, statements }, diagnostics };
}
