import { createToken, Lexer, type TokenType } from "chevrotain";

/**
 * Tokens of the .cnnp language. Layer names (`conv32x5`), setting names, metric names
 * (`test.accuracy`) and back-end names (`tensorflow-gpu`) are all plain identifiers: the checker
 * gives them meaning, so a misspelling is reported with the closest valid name rather than as a
 * syntax error.
 */
export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*/,
  label: "a name",
});

const keyword = (word: string): TokenType =>
  createToken({ name: `Kw_${word}`, pattern: new RegExp(word), longer_alt: Identifier, label: `'${word}'` });

export const Model = keyword("model");
/** `block res16 = residual(...) relu`: a named sequence of layers, used in models as one layer. */
export const Block = keyword("block");
export const Experiment = keyword("experiment");
export const Sweep = keyword("sweep");
export const Find = keyword("find");
export const Search = keyword("search");
export const Note = keyword("note");
export const MaskKw = keyword("mask");
export const MapsKw = keyword("maps");
export const Insert = keyword("insert");
export const After = keyword("after");
export const Step = keyword("step");
export const Where = keyword("where");
export const By = keyword("by");
/** `from "6.2 ..."`: another experiment's answer as a value. */
export const From = keyword("from");
/** `expect test.accuracy 0.8835 for mask 1-0-1-1`: a published figure to reproduce. */
export const Expect = keyword("expect");
export const For = keyword("for");

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\uFEFF]+/,
  group: Lexer.SKIPPED,
});
export const Comment = createToken({ name: "Comment", pattern: /#[^\r\n]*/, group: Lexer.SKIPPED });
/**
 * A line ends at `\r\n`, `\n` or a lone `\r`, as the lexer counts lines (its default line
 * terminators) and as diagnostics number them (diagnostics/lines.ts): no other token holds a line
 * break but triple-quoted text, whose breaks the lexer counts the same way.
 */
export const Newline = createToken({
  name: "Newline",
  pattern: /\r\n?|\n/,
  label: "a new line",
  line_breaks: true,
});
export const Semicolon = createToken({ name: "Semicolon", pattern: /;/, label: "';'" });

export const TripleString = createToken({
  name: "TripleString",
  pattern: /"""[\s\S]*?"""/,
  line_breaks: true,
  label: 'a """text"""',
});
/** Matches an opening `"""` that is never closed, so the checker can say so once. */
export const UnterminatedTriple = createToken({
  name: "UnterminatedTriple",
  pattern: /"""[\s\S]*/,
  line_breaks: true,
});
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\r\n]|\\.)*"/,
  label: 'a "string"',
});
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"[^"\r\n]*/ });

/** `1-0-1-1`: digits joined by dashes; the checker insists on 0 and 1. */
export const MaskLiteral = createToken({
  name: "MaskLiteral",
  pattern: /\d+(?:-\d+)+/,
  label: "a mask like 1-0-1-1",
});
export const DotDot = createToken({ name: "DotDot", pattern: /\.\./, label: "'..'" });
/** A number never swallows a following `..`, so `[5..100]` is three tokens. */
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: "a number",
});
export const Comparison = createToken({
  name: "Comparison",
  pattern: />=|<=|==|!=|>|</,
  label: "a comparison (>=, >, <=, <, ==, !=)",
});
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "'='" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "']'" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, label: "'}'" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });

export const keywords = [
  Model,
  Block,
  Experiment,
  Sweep,
  Find,
  Search,
  Note,
  MaskKw,
  MapsKw,
  Insert,
  After,
  Step,
  Where,
  By,
  From,
  Expect,
  For,
];

/**
 * Order matters: skipped tokens first (they are the most frequent); triple-quoted text before the
 * plain string and each before its unterminated form; the mask before the number (`1-0` is a mask,
 * not `1` and `-0`); `..` before the number (`.5` is a number); `>=` before `=`; keywords before
 * the identifier they are a `longer_alt` of.
 */
export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  Newline,
  Semicolon,
  TripleString,
  UnterminatedTriple,
  StringLiteral,
  UnterminatedString,
  MaskLiteral,
  DotDot,
  NumberLiteral,
  Comparison,
  Equals,
  LBracket,
  RBracket,
  LParen,
  RParen,
  LBrace,
  RBrace,
  Comma,
  ...keywords,
  Identifier,
];

export const cnnpLexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });
