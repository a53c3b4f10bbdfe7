import type { CstNode, IToken } from "chevrotain";
import type { Span } from "../diagnostics/diagnostic.js";
import type { LayerArg, LayerRef, ModelExpr, Modifier, Name, Statement, SweepItem, Value } from "./ast.js";
import type * as Cst from "./cst.js";
import { parserInstance } from "./parser.js";

/** The first real token (not one the parser invented while recovering from an error). */
function tok(tokens: IToken[] | undefined): IToken | undefined {
  const t = tokens?.[0];
  return t && !t.isInsertedInRecovery ? t : undefined;
}

/** The first real token among several kinds (for rules that are one token of several kinds). */
function anyTok(...kinds: (IToken[] | undefined)[]): IToken | undefined {
  for (const k of kinds) {
    const t = tok(k);
    if (t) return t;
  }
  return undefined;
}

export function tokenSpan(t: IToken): Span {
  return {
    offset: t.startOffset,
    endOffset: t.endOffset ?? t.startOffset + t.image.length - 1,
    line: t.startLine ?? 1,
    column: t.startColumn ?? 1,
    endLine: t.endLine ?? t.startLine ?? 1,
    endColumn: t.endColumn ?? t.startColumn ?? 1,
  };
}

/** Where a node was written; undefined for a node the parser recovered (it has no location). */
function nodeSpan(n: CstNode): Span | undefined {
  const l = n.location;
  if (!l || Number.isNaN(l.startOffset) || l.endOffset === undefined || Number.isNaN(l.endOffset))
    return undefined;
  return {
    offset: l.startOffset,
    endOffset: l.endOffset,
    line: l.startLine ?? 1,
    column: l.startColumn ?? 1,
    endLine: l.endLine ?? 1,
    endColumn: l.endColumn ?? 1,
  };
}

function nameOf(t: IToken): Name {
  return { value: t.image, span: tokenSpan(t) };
}

function unquote(image: string): string {
  try {
    return JSON.parse(image) as string;
  } catch {
    return image.slice(1, -1);
  }
}

/**
 * Triple-quoted text loses its quotes, its first and last blank lines, and common indentation; its
 * line breaks (`\r\n`, `\n` or `\r`) become `\n`.
 */
export function dedentText(image: string): string {
  const lines = image.slice(3, -3).split(/\r\n?|\n/);
  while (lines.length > 0 && lines[0]?.trim() === "") lines.shift();
  while (lines.length > 0 && lines.at(-1)?.trim() === "") lines.pop();
  const indents = lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut).trimEnd()).join("\n");
}

function numberValue(t: IToken): Value {
  return { kind: "number", value: Number(t.image), raw: t.image, span: tokenSpan(t) };
}

function maskValue(t: IToken): Value {
  return { kind: "mask", value: t.image, span: tokenSpan(t) };
}

const defined = <T>(x: T | undefined): x is T => x !== undefined;

/**
 * Every rule of the grammar, as a visitor method over its generated children type. A rule added to
 * or renamed in the parser, or a label renamed, no longer fits this and fails to compile (after
 * `npm run cst`, which test/dsl/cst.test.ts holds us to); `validateVisitor()` checks the same at
 * run time. The `param` of each method is where its node was written.
 */
type RuleMethods = {
  [K in Exclude<keyof Cst.ICstNodeVisitor<Span, unknown>, "visit" | "validateVisitor">]: (
    children: Parameters<Cst.ICstNodeVisitor<Span, unknown>[K]>[0],
    span: Span,
  ) => unknown;
};

const Base = parserInstance.getBaseCstVisitorConstructor<Span, unknown>();

/** Turns the concrete syntax tree into the AST, skipping what the parser had to recover from. */
class AstBuilder extends Base implements RuleMethods {
  constructor() {
    super();
    this.validateVisitor();
  }

  /** Visits the nodes among `ns` the parser did not recover and that have a span. */
  private all<N extends CstNode, T>(ns: N[] | undefined, visit: (children: N["children"], span: Span) => T) {
    const out: T[] = [];
    for (const n of ns ?? []) {
      const span = n.recoveredNode ? undefined : nodeSpan(n);
      if (span) out.push(visit.call(this, n.children, span));
    }
    return out;
  }

  /** The first node of `ns` the parser did not recover, visited (undefined when it has no span). */
  private one<N extends CstNode, T>(ns: N[] | undefined, visit: (children: N["children"], span: Span) => T) {
    const n = ns?.find((x) => !x.recoveredNode);
    const span = n && nodeSpan(n);
    return n && span ? visit.call(this, n.children, span) : undefined;
  }

  pipeline(c: Cst.PipelineCstChildren): Statement[] {
    return this.one(c.statements, this.statements) ?? [];
  }

  /** A statement separator: nothing to build. */
  sep(): undefined {
    return undefined;
  }

  statements(c: Cst.StatementsCstChildren): Statement[] {
    return (c.statement ?? [])
      .filter((s) => !s.recoveredNode)
      .map((s) => this.statement(s.children))
      .filter(defined);
  }

  /** One statement: the one alternative the parser took. */
  statement(c: Cst.StatementCstChildren): Statement | undefined {
    if (c.experiment) return this.one(c.experiment, this.experiment);
    const model = c.modelStmt?.[0];
    if (model)
      return model.recoveredNode ? this.brokenModel(model.children) : this.one(c.modelStmt, this.modelStmt);
    if (c.blockStmt) return this.one(c.blockStmt, this.blockStmt);
    if (c.sweep) return this.one(c.sweep, this.sweep);
    if (c.search) return this.one(c.search, this.search);
    if (c.find) return this.one(c.find, this.find);
    if (c.note) return this.one(c.note, this.note);
    if (c.expect) return this.one(c.expect, this.expect);
    return this.one(c.setting, this.setting);
  }

  experiment(c: Cst.ExperimentCstChildren, span: Span): Statement | undefined {
    const title = tok(c.StringLiteral);
    if (!title) return undefined;
    return {
      kind: "experiment",
      title: { value: unquote(title.image), span: tokenSpan(title) },
      body: this.one(c.statements, this.statements) ?? [],
      span,
    };
  }

  modelStmt(c: Cst.ModelStmtCstChildren, span: Span): Statement | undefined {
    const expr = this.one(c.modelExpr, this.modelExpr);
    if (!expr) return undefined;
    const def = tok(c.defName);
    return def ? { kind: "model", name: nameOf(def), expr, span } : { kind: "model", expr, span };
  }

  /** Keeps the name of a model whose definition did not parse, so its uses are not errors too. */
  private brokenModel(c: Cst.ModelStmtCstChildren): Statement | undefined {
    const def = tok(c.defName);
    const t = tok(c.Kw_model);
    if (!def || !t) return undefined;
    const span = tokenSpan(t);
    return { kind: "model", name: nameOf(def), expr: { terms: [], modifiers: [], span }, span, broken: true };
  }

  modelExpr(c: Cst.ModelExprCstChildren, span: Span): ModelExpr | undefined {
    const terms = this.all(c.layer, this.layer).filter(defined);
    if (terms.length === 0) return undefined;
    return { terms, modifiers: this.all(c.modifier, this.modifier).filter(defined), span };
  }

  blockStmt(c: Cst.BlockStmtCstChildren, span: Span): Statement | undefined {
    const def = tok(c.defName);
    const layers = this.all(c.layer, this.layer).filter(defined);
    if (!def || layers.length === 0) return undefined;
    return { kind: "block", name: nameOf(def), layers, span };
  }

  layer(c: Cst.LayerCstChildren, span: Span): LayerRef | undefined {
    const id = tok(c.Identifier);
    if (!id) return undefined;
    const args = this.all(c.layerArg, this.layerArg).filter(defined);
    if (c.innerLayer) {
      const inner = this.all(c.innerLayer, this.innerLayer).filter(defined);
      return { name: nameOf(id), args, inner, span };
    }
    return { name: nameOf(id), args, span };
  }

  innerLayer(c: Cst.InnerLayerCstChildren, span: Span): LayerRef | undefined {
    const id = tok(c.Identifier);
    if (!id) return undefined;
    return { name: nameOf(id), args: this.all(c.layerArg, this.layerArg).filter(defined), span };
  }

  layerArg(c: Cst.LayerArgCstChildren, span: Span): LayerArg | undefined {
    const num = tok(c.NumberLiteral);
    if (num) return { value: numberValue(num), span };
    const id = tok(c.Identifier);
    if (!id) return undefined;
    if (c.value) {
      const value = this.one(c.value, this.value);
      return value ? { key: nameOf(id), value, span } : undefined;
    }
    if (tok(c.Equals)) return undefined;
    return { value: { kind: "word", value: id.image, span: tokenSpan(id) }, span };
  }

  modifier(c: Cst.ModifierCstChildren, span: Span): Modifier | undefined {
    const mask = tok(c.MaskLiteral);
    if (tok(c.Kw_mask)) return mask ? { kind: "mask", mask: maskValue(mask), span } : undefined;
    const maps = tok(c.NumberLiteral);
    if (tok(c.Kw_maps)) return maps ? { kind: "maps", value: numberValue(maps), span } : undefined;
    const pos = tok(c.position);
    const layers = this.all(c.layer, this.layer).filter(defined);
    if (!pos || layers.length === 0) return undefined;
    return { kind: "insert", layers, after: numberValue(pos), span };
  }

  sweep(c: Cst.SweepCstChildren, span: Span): Statement | undefined {
    if (!tok(c.RBracket)) return undefined;
    const names = this.all(c.name, this.name).filter(defined);
    const items = this.all(c.item, this.item).filter(defined);
    if (names.length === 0) return undefined;
    const scale = tok(c.scale);
    return scale
      ? { kind: "sweep", names, scale: nameOf(scale), items, span }
      : { kind: "sweep", names, items, span };
  }

  search(c: Cst.SearchCstChildren, span: Span): Statement | undefined {
    const strategy = tok(c.strategy);
    const count = tok(c.count);
    const metric = tok(c.metric);
    if (!strategy || !count || !metric) return undefined;
    const dir = tok(c.direction);
    const number = numberValue(count) as Extract<Value, { kind: "number" }>;
    const base = {
      kind: "search" as const,
      strategy: nameOf(strategy),
      count: number,
      metric: nameOf(metric),
      span,
    };
    return dir ? { ...base, direction: nameOf(dir) } : base;
  }

  item(c: Cst.ItemCstChildren, span: Span): SweepItem | undefined {
    if (tok(c.LParen)) return { kind: "tuple", values: this.all(c.tuple, this.value).filter(defined), span };
    const from = this.one(c.from, this.value);
    if (!from) return undefined;
    if (!tok(c.DotDot)) return { kind: "value", value: from, span };
    const to = this.one(c.to, this.value);
    if (!to) return undefined;
    const step = this.one(c.step, this.value);
    return step ? { kind: "range", from, to, step, span } : { kind: "range", from, to, span };
  }

  find(c: Cst.FindCstChildren, span: Span): Statement | undefined {
    const mode = tok(c.mode);
    const target = this.one(c.target, this.name);
    if (!mode || !target) return undefined;
    const base = { kind: "find" as const, mode: nameOf(mode), target, span };
    const metric = tok(c.metric);
    const op = tok(c.Comparison);
    const value = this.one(c.value, this.value);
    if (metric && op && value) return { ...base, where: { metric: nameOf(metric), op: nameOf(op), value } };
    const by = tok(c.byMetric);
    if (!by) return undefined;
    const dir = tok(c.direction);
    return { ...base, by: dir ? { metric: nameOf(by), direction: nameOf(dir) } : { metric: nameOf(by) } };
  }

  expect(c: Cst.ExpectCstChildren, span: Span): Statement | undefined {
    const metric = tok(c.metric);
    const figure = tok(c.figure);
    if (!metric || !figure) return undefined;
    const keys = this.all(c.key, this.name);
    const values = this.all(c.value, this.value);
    if (keys.length !== values.length) return undefined;
    const pairs = keys.flatMap((key, i) => {
      const value = values[i];
      return key && value ? [{ key, value }] : [];
    });
    const number = numberValue(figure) as Extract<Value, { kind: "number" }>;
    return { kind: "expect", metric: nameOf(metric), figure: number, pairs, span };
  }

  note(c: Cst.NoteCstChildren, span: Span): Statement | undefined {
    const triple = tok(c.TripleString);
    const plain = tok(c.StringLiteral);
    if (!triple && !plain) return undefined;
    const text = triple ? dedentText(triple.image) : unquote(plain?.image ?? '""');
    return { kind: "note", text, span };
  }

  setting(c: Cst.SettingCstChildren, span: Span): Statement | undefined {
    const id = anyTok(c.Identifier, c.Kw_mask, c.Kw_maps);
    if (!id) return undefined;
    return { kind: "setting", name: nameOf(id), args: this.all(c.value, this.value).filter(defined), span };
  }

  name(c: Cst.NameCstChildren): Name | undefined {
    const t = anyTok(c.Identifier, c.Kw_mask, c.Kw_maps, c.Kw_model);
    return t ? nameOf(t) : undefined;
  }

  value(c: Cst.ValueCstChildren): Value | undefined {
    const num = tok(c.NumberLiteral);
    if (num) return numberValue(num);
    const mask = tok(c.MaskLiteral);
    if (mask) return maskValue(mask);
    const str = tok(c.StringLiteral);
    if (str) return { kind: "string", value: unquote(str.image), span: tokenSpan(str) };
    const name = this.one(c.name, this.name);
    if (name) return { kind: "word", value: name.value, span: name.span };
    return this.one(c.reference, this.reference);
  }

  reference(c: Cst.ReferenceCstChildren, span: Span): Value | undefined {
    const title = tok(c.StringLiteral);
    if (!title) return undefined;
    return { kind: "reference", experiment: { value: unquote(title.image), span: tokenSpan(title) }, span };
  }
}

const builder = new AstBuilder();

/** The statements of the CST `parser.pipeline()` returned (typed by the generated CST types). */
export function toStatements(cst: CstNode): Statement[] {
  return builder.pipeline((cst as Cst.PipelineCstNode).children);
}
