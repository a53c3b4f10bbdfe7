import type { CstElement, CstNode, IToken } from "chevrotain";
import type { Span } from "../diagnostics/diagnostic.js";
import type { LayerArg, LayerRef, ModelExpr, Modifier, Name, Statement, SweepItem, Value } from "./ast.js";
import { parserInstance } from "./parser.js";

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement | undefined): e is IToken {
  return e !== undefined && "image" in e;
}

/** A real token (not one the parser invented while recovering from an error). */
function tok(children: Children, key: string, i = 0): IToken | undefined {
  const e = children[key]?.[i];
  return isToken(e) && !e.isInsertedInRecovery ? e : undefined;
}

function nodes(children: Children, key: string): CstNode[] {
  return (children[key] ?? []).filter((e): e is CstNode => !isToken(e) && !e.recoveredNode);
}

function node(children: Children, key: string): CstNode | undefined {
  return nodes(children, key)[0];
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

/** The first real token among the given keys (for rules that are one token of several kinds). */
function anyTok(children: Children, keys: string[]): IToken | undefined {
  for (const k of keys) {
    const t = tok(children, k);
    if (t) return t;
  }
  return undefined;
}

function unquote(image: string): string {
  try {
    return JSON.parse(image) as string;
  } catch {
    return image.slice(1, -1);
  }
}

/** Triple-quoted text loses its quotes, its first and last blank lines, and common indentation. */
export function dedentText(image: string): string {
  const lines = image.slice(3, -3).split("\n");
  while (lines.length > 0 && lines[0]?.trim() === "") lines.shift();
  while (lines.length > 0 && lines.at(-1)?.trim() === "") lines.pop();
  const indents = lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut).trimEnd()).join("\n");
}

const Base = parserInstance.getBaseCstVisitorConstructorWithDefaults();

/** Turns the concrete syntax tree into the AST, skipping what the parser had to recover from. */
class AstBuilder extends Base {
  constructor() {
    super();
    this.validateVisitor();
  }

  statementsOf(n: CstNode | undefined): Statement[] {
    if (!n) return [];
    return nodes(n.children, "statement")
      .map((s) => this.statementOf(s))
      .filter((s): s is Statement => s !== undefined);
  }

  statementOf(n: CstNode): Statement | undefined {
    const c = n.children;
    const exp = node(c, "experiment");
    if (exp) return this.experimentOf(exp);
    const model = node(c, "modelStmt");
    if (model) return this.modelOf(model);
    const broken = (c.modelStmt ?? [])[0];
    if (broken && !isToken(broken)) return this.brokenModelOf(broken);
    const sweep = node(c, "sweep");
    if (sweep) return this.sweepOf(sweep);
    const find = node(c, "find");
    if (find) return this.findOf(find);
    const note = node(c, "note");
    if (note) return this.noteOf(note);
    const setting = node(c, "setting");
    if (setting) return this.settingOf(setting);
    return undefined;
  }

  experimentOf(n: CstNode): Statement | undefined {
    const title = tok(n.children, "StringLiteral");
    const span = nodeSpan(n);
    if (!title || !span) return undefined;
    return {
      kind: "experiment",
      title: { value: unquote(title.image), span: tokenSpan(title) },
      body: this.statementsOf(node(n.children, "statements")),
      span,
    };
  }

  modelOf(n: CstNode): Statement | undefined {
    const exprNode = node(n.children, "modelExpr");
    const expr = exprNode ? this.modelExprOf(exprNode) : undefined;
    const span = nodeSpan(n);
    if (!expr || !span) return undefined;
    const def = tok(n.children, "defName");
    return def ? { kind: "model", name: nameOf(def), expr, span } : { kind: "model", expr, span };
  }

  /** Keeps the name of a model whose definition did not parse, so its uses are not errors too. */
  brokenModelOf(n: CstNode): Statement | undefined {
    const def = tok(n.children, "defName");
    const t = tok(n.children, "Kw_model");
    if (!def || !t) return undefined;
    const span = tokenSpan(t);
    return { kind: "model", name: nameOf(def), expr: { terms: [], modifiers: [], span }, span, broken: true };
  }

  modelExprOf(n: CstNode): ModelExpr | undefined {
    const span = nodeSpan(n);
    const terms = nodes(n.children, "layer")
      .map((l) => this.layerOf(l))
      .filter((l): l is LayerRef => l !== undefined);
    if (!span || terms.length === 0) return undefined;
    const modifiers = nodes(n.children, "modifier")
      .map((m) => this.modifierOf(m))
      .filter((m): m is Modifier => m !== undefined);
    return { terms, modifiers, span };
  }

  layerOf(n: CstNode): LayerRef | undefined {
    const id = tok(n.children, "Identifier");
    const span = nodeSpan(n);
    if (!id || !span) return undefined;
    const args = nodes(n.children, "layerArg")
      .map((a) => this.layerArgOf(a))
      .filter((a): a is LayerArg => a !== undefined);
    return { name: nameOf(id), args, span };
  }

  layerArgOf(n: CstNode): LayerArg | undefined {
    const span = nodeSpan(n);
    if (!span) return undefined;
    const num = tok(n.children, "NumberLiteral");
    if (num) return { value: numberValue(num), span };
    const id = tok(n.children, "Identifier");
    if (!id) return undefined;
    const valueNode = node(n.children, "value");
    if (valueNode) {
      const value = this.readValue(valueNode);
      return value ? { key: nameOf(id), value, span } : undefined;
    }
    if (tok(n.children, "Equals")) return undefined;
    return { value: { kind: "word", value: id.image, span: tokenSpan(id) }, span };
  }

  modifierOf(n: CstNode): Modifier | undefined {
    const c = n.children;
    const span = nodeSpan(n);
    if (!span) return undefined;
    const mask = tok(c, "MaskLiteral");
    if (tok(c, "Kw_mask")) return mask ? { kind: "mask", mask: maskValue(mask), span } : undefined;
    const maps = tok(c, "NumberLiteral");
    if (tok(c, "Kw_maps")) return maps ? { kind: "maps", value: numberValue(maps), span } : undefined;
    const pos = tok(c, "position");
    const layers = nodes(c, "layer")
      .map((l) => this.layerOf(l))
      .filter((l): l is LayerRef => l !== undefined);
    if (!pos || layers.length === 0) return undefined;
    return { kind: "insert", layers, after: numberValue(pos), span };
  }

  sweepOf(n: CstNode): Statement | undefined {
    const span = nodeSpan(n);
    if (!span || !tok(n.children, "RBracket")) return undefined;
    const names = nodes(n.children, "name")
      .map((x) => this.nameOf(x))
      .filter((x): x is Name => x !== undefined);
    const items = nodes(n.children, "item")
      .map((x) => this.itemOf(x))
      .filter((x): x is SweepItem => x !== undefined);
    if (names.length === 0) return undefined;
    return { kind: "sweep", names, items, span };
  }

  itemOf(n: CstNode): SweepItem | undefined {
    const c = n.children;
    const span = nodeSpan(n);
    if (!span) return undefined;
    if (tok(c, "LParen")) {
      const values = nodes(c, "tuple")
        .map((v) => this.readValue(v))
        .filter((v): v is Value => v !== undefined);
      return { kind: "tuple", values, span };
    }
    const fromNode = node(c, "from");
    const from = fromNode ? this.readValue(fromNode) : undefined;
    if (!from) return undefined;
    if (!tok(c, "DotDot")) return { kind: "value", value: from, span };
    const toNode = node(c, "to");
    const to = toNode ? this.readValue(toNode) : undefined;
    if (!to) return undefined;
    const stepNode = node(c, "step");
    const step = stepNode ? this.readValue(stepNode) : undefined;
    return step ? { kind: "range", from, to, step, span } : { kind: "range", from, to, span };
  }

  findOf(n: CstNode): Statement | undefined {
    const c = n.children;
    const span = nodeSpan(n);
    const mode = tok(c, "mode");
    const targetNode = node(c, "target");
    const target = targetNode ? this.nameOf(targetNode) : undefined;
    if (!span || !mode || !target) return undefined;
    const base = { kind: "find" as const, mode: nameOf(mode), target, span };
    const metric = tok(c, "metric");
    const op = tok(c, "Comparison");
    const valueNode = node(c, "value");
    const value = valueNode ? this.readValue(valueNode) : undefined;
    if (metric && op && value) return { ...base, where: { metric: nameOf(metric), op: nameOf(op), value } };
    const by = tok(c, "byMetric");
    if (!by) return undefined;
    const dir = tok(c, "direction");
    return { ...base, by: dir ? { metric: nameOf(by), direction: nameOf(dir) } : { metric: nameOf(by) } };
  }

  noteOf(n: CstNode): Statement | undefined {
    const span = nodeSpan(n);
    const triple = tok(n.children, "TripleString");
    const plain = tok(n.children, "StringLiteral");
    if (!span || (!triple && !plain)) return undefined;
    const text = triple ? dedentText(triple.image) : unquote(plain?.image ?? '""');
    return { kind: "note", text, span };
  }

  settingOf(n: CstNode): Statement | undefined {
    const span = nodeSpan(n);
    const id = anyTok(n.children, ["Identifier", "Kw_mask", "Kw_maps"]);
    if (!span || !id) return undefined;
    const args = nodes(n.children, "value")
      .map((v) => this.readValue(v))
      .filter((v): v is Value => v !== undefined);
    return { kind: "setting", name: nameOf(id), args, span };
  }

  nameOf(n: CstNode): Name | undefined {
    const t = anyTok(n.children, ["Identifier", "Kw_mask", "Kw_maps", "Kw_model"]);
    return t ? nameOf(t) : undefined;
  }

  readValue(n: CstNode): Value | undefined {
    const c = n.children;
    const num = tok(c, "NumberLiteral");
    if (num) return numberValue(num);
    const mask = tok(c, "MaskLiteral");
    if (mask) return maskValue(mask);
    const str = tok(c, "StringLiteral");
    if (str) return { kind: "string", value: unquote(str.image), span: tokenSpan(str) };
    const nameNode = node(c, "name");
    const name = nameNode ? this.nameOf(nameNode) : undefined;
    return name ? { kind: "word", value: name.value, span: name.span } : undefined;
  }
}

function numberValue(t: IToken): Value {
  return { kind: "number", value: Number(t.image), raw: t.image, span: tokenSpan(t) };
}

function maskValue(t: IToken): Value {
  return { kind: "mask", value: t.image, span: tokenSpan(t) };
}

const builder = new AstBuilder();

/** The statements of a `pipeline` CST node. */
export function toStatements(cst: CstNode): Statement[] {
  return builder.statementsOf(node(cst.children, "statements"));
}
