import { bounds } from "../bounds.js";
import { type Diagnostic, error, type Span, startOfFile } from "../diagnostics/diagnostic.js";
import { type LayerRef, type ModelExpr, type Statement, valueText } from "../dsl/ast.js";
import { claimedByLayer, kindOf, type LayerDraft, layerWords, parseLayer } from "../layers/index.js";
import { isProblem, type Summary, summarize } from "../layers/summary.js";
import type { LayerSpec, ModelSpec } from "../model/index.js";
import { grouped } from "../util/grouped.js";
import { closest } from "../util/suggest.js";
import { tooManyParameters } from "./cost.js";
import { Levels } from "./levels.js";
import { isDiagnostic, scalarReaders, wholeNumber } from "./settings.js";

/** A layer as written, remembering where. */
export interface PlacedLayer {
  draft: LayerDraft;
  span: Span;
}

/** A model before sweeps and settings apply: its own layers and the changes made to them. */
export interface Template {
  /** The defined name, or a readable rendering of the expression. */
  name: string;
  root: PlacedLayer[];
  mask?: { value: string; span: Span };
  maps?: number;
  inserts: { after: number; layers: PlacedLayer[]; span: Span }[];
}

/** Changes that settings and sweeps make to a template. */
export interface Overrides {
  mask?: { value: string; span: Span };
  maps?: number;
  dropout?: number;
}

type ModelDef = Extract<Statement, { kind: "model" }> & {
  name: NonNullable<Extract<Statement, { kind: "model" }>["name"]>;
};

/** Named models of a file, resolved on first use so definitions may come in any order. */
export class ModelRegistry {
  private readonly defs = new Map<string, ModelDef>();
  private readonly resolved = new Map<string, Template | null>();
  private readonly resolving = new Set<string>();
  private nameList: string[] | undefined;
  /** Names compared in "did you mean" suggestions so far may not pass this: a file of many models and many typos stays linear. */
  private suggestionBudget = 200_000;

  private readonly blocks = new Map<string, Extract<Statement, { kind: "block" }>>();
  private readonly blockDrafts = new Map<string, LayerDraft[] | null>();
  private readonly expanding = new Set<string>();
  /** How many blocks deep each block goes, and how many models deep each model is built. */
  private readonly blockLevels = new Levels((n) => this.blockUses(n));
  private readonly modelLevels = new Levels((n) => this.modelUses(n));
  private readonly deepReported = new Set<string>();

  constructor(private readonly diagnostics: Diagnostic[]) {}

  /** Registers a `block NAME = layers`; reports a name used twice (by a block or a model). */
  defineBlock(stmt: Extract<Statement, { kind: "block" }>): void {
    const name = stmt.name.value;
    if (name === "residual" || claimedByLayer({ name: stmt.name, args: [], span: stmt.name.span })) {
      this.diagnostics.push(
        error(
          "E108",
          stmt.name.span,
          `'${name}' is a layer: a block of that name would hide it`,
          "Give the block a name that no layer has (a name that ends in a number takes a width: res16 also gives res32).",
        ),
      );
      return;
    }
    const first = this.blocks.get(name);
    if (first) {
      this.diagnostics.push(
        error("E108", stmt.name.span, `block '${name}' is defined twice`, undefined, [
          { span: first.name.span, message: "first defined here" },
        ]),
      );
      return;
    }
    // The block stays defined (layer lists name it), and the model is what experiments name: one error.
    const model = this.defs.get(name);
    if (model) this.diagnostics.push(bothNames(name, stmt.name.span, model.name.span));
    this.blocks.set(name, stmt);
  }

  /**
   * The block statement a layer word names: `res16` itself, or `res16` for `res32` with width 32
   * (the number sets its conv layers' maps, as in `conv32`); undefined when the word names none.
   */
  private blockStatementOf(
    word: string,
  ): { stmt: Extract<Statement, { kind: "block" }>; width?: number; prefix: string } | undefined {
    const stmt = this.blocks.get(word);
    if (stmt) return { stmt, prefix: word };
    const m = /^(.*?[A-Za-z_])(\d+)$/.exec(word);
    if (!m) return undefined;
    const prefix = m[1] ?? "";
    const named = [...this.blocks.values()].find(
      (b) => /\d$/.test(b.name.value) && b.name.value.replace(/\d+$/, "") === prefix,
    );
    return named ? { stmt: named, width: Number(m[2]), prefix } : undefined;
  }

  /** The block a layer word names, placed; null when it is wrong (reported), undefined when it names none. */
  private blockOf(ref: LayerRef): PlacedLayer | null | undefined {
    const word = ref.name.value;
    const found = this.blockStatementOf(word);
    if (!found) return undefined;
    const { stmt, width, prefix } = found;
    if (width !== undefined && (width < 1 || width > bounds.maps.max)) {
      this.diagnostics.push(
        error(
          "E104",
          ref.name.span,
          `'${word}' asks for block '${stmt.name.value}' at ${grouped(width)} maps; a width is 1 to ${grouped(bounds.maps.max)}`,
          `Write e.g. ${prefix}32.`,
        ),
      );
      return null;
    }
    if (ref.args.length > 0) {
      this.diagnostics.push(error("E103", ref.span, `block '${stmt.name.value}' takes no options`));
      return null;
    }
    const drafts = this.expandBlock(stmt, ref.name.span);
    if (!drafts) return null;
    const draft = {
      type: "block" as const,
      name: word,
      layers: drafts,
      ...(width !== undefined ? { width } : {}),
    };
    return { draft, span: ref.span };
  }

  /** A block's layers as drafts, once; null when it is broken or defined in terms of itself (reported). */
  private expandBlock(stmt: Extract<Statement, { kind: "block" }>, at: Span): LayerDraft[] | null {
    const name = stmt.name.value;
    // Blocks that use blocks, as deep as experiments may nest: worked out before expanding, so no
    // chain of them runs the checker (or a queue worker's schema) out of stack.
    if (this.blockLevels.of(name) > bounds.nesting) {
      this.tooDeep("block", this.blockLevels.at(name, bounds.nesting + 1));
      return null;
    }
    return this.once(
      name,
      this.blockDrafts,
      this.expanding,
      () => {
        const placed = this.layers(stmt.layers);
        return placed ? placed.map((p) => p.draft) : null;
      },
      error(
        "E107",
        at,
        `block '${name}' is defined in terms of itself`,
        "A block may use other blocks, not itself.",
      ),
    );
  }

  /** E133 at the definition that is one level too deep (each once: those above fail with it). */
  private tooDeep(kind: "block" | "model", name: string): void {
    if (this.deepReported.has(`${kind} ${name}`)) return;
    this.deepReported.add(`${kind} ${name}`);
    const at = (kind === "block" ? this.blocks.get(name) : this.defs.get(name))?.name.span ?? startOfFile;
    const n = bounds.nesting;
    this.diagnostics.push(
      kind === "block"
        ? error(
            "E133",
            at,
            `block '${name}' nests blocks ${n + 1} levels deep; blocks nest at most ${n} levels deep`,
            `Define the deep blocks' layers in fewer levels: blocks may use blocks to ${n} levels.`,
          )
        : error(
            "E133",
            at,
            `model '${name}' is built from models ${n + 1} levels deep; models build on models at most ${n} levels deep`,
            "Define the model from its layers, or from a model fewer levels down.",
          ),
    );
  }

  /** The blocks a block's layers name (inside residual(...) too). */
  private blockUses(name: string): string[] {
    const out: string[] = [];
    const refs = [...(this.blocks.get(name)?.layers ?? [])];
    for (let ref = refs.pop(); ref; ref = refs.pop()) {
      if (ref.inner) refs.push(...ref.inner);
      const used = this.blockStatementOf(ref.name.value);
      if (used) out.push(used.stmt.name.value);
    }
    return out;
  }

  /** The model a model is built from, if it is built from one. */
  private modelUses(name: string): string[] {
    const expr = this.defs.get(name)?.expr;
    const first = expr?.terms[0];
    return expr?.terms.length === 1 && first && this.defs.has(first.name.value) ? [first.name.value] : [];
  }

  /** `did you mean 'x'?` among the defined models, or a short list of them. */
  suggest(word: string): string {
    const names = this.names();
    const near = names.length <= this.suggestionBudget ? closest(word, names) : undefined;
    this.suggestionBudget = Math.max(0, this.suggestionBudget - names.length);
    if (near !== undefined) return `did you mean '${near}'?`;
    const shown = names.slice(0, 12).join(", ");
    return names.length > 12
      ? `defined models include: ${shown} (${names.length} in all)`
      : `expected one of: ${shown}`;
  }

  /** Registers a definition; reports a duplicate with a pointer to the first. */
  define(stmt: ModelDef): void {
    const first = this.defs.get(stmt.name.value);
    if (first) {
      this.diagnostics.push(
        error("E108", stmt.name.span, `model '${stmt.name.value}' is defined twice`, undefined, [
          { span: first.name.span, message: "first defined here" },
        ]),
      );
      return;
    }
    const block = this.blocks.get(stmt.name.value);
    // The model stays defined (experiments name it), and the block is what layers name: one error.
    if (block) this.diagnostics.push(bothNames(stmt.name.value, stmt.name.span, block.name.span));
    this.defs.set(stmt.name.value, stmt);
    this.nameList = undefined;
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  names(): readonly string[] {
    this.nameList ??= [...this.defs.keys()];
    return this.nameList;
  }

  /** The template of a named model, or null when it is undefined or broken (already reported). */
  get(name: string, at: Span): Template | null {
    const def = this.defs.get(name);
    if (!def) {
      this.diagnostics.push(error("E107", at, `model '${name}' is not defined`));
      return null;
    }
    if (def.broken) return null;
    if (this.modelLevels.of(name) > bounds.nesting) {
      this.tooDeep("model", this.modelLevels.at(name, bounds.nesting + 1));
      return null;
    }
    return this.once(
      name,
      this.resolved,
      this.resolving,
      () => this.fromExpr(def.expr, name),
      error(
        "E107",
        at,
        `model '${name}' is defined in terms of itself`,
        "Build a model from layers or from another model, not from itself.",
      ),
    );
  }

  /**
   * A definition worked out once (kept in `done`); `cycle` is reported, and null returned, when
   * working it out comes back to it (`open` holds those being worked out).
   */
  private once<T>(
    name: string,
    done: Map<string, T | null>,
    open: Set<string>,
    make: () => T | null,
    cycle: Diagnostic,
  ): T | null {
    const known = done.get(name);
    if (known !== undefined) return known;
    if (open.has(name)) {
      this.diagnostics.push(cycle);
      return null;
    }
    open.add(name);
    const t = make();
    open.delete(name);
    done.set(name, t);
    return t;
  }

  /** Resolves a model expression; `name` is the defined name, if any. */
  fromExpr(expr: ModelExpr, name?: string): Template | null {
    const [first] = expr.terms;
    let base: Template | null;
    if (first && expr.terms.length === 1 && this.defs.has(first.name.value)) {
      const t = this.get(first.name.value, first.name.span);
      if (!t) return null;
      base = { ...t, inserts: [...t.inserts] };
    } else {
      if (first && expr.terms.length === 1 && !looksLikeLayer(first.name.value)) {
        this.diagnostics.push(
          error(
            "E107",
            first.name.span,
            `model '${first.name.value}' is not defined`,
            this.suggest(first.name.value),
          ),
        );
        return null;
      }
      const root = this.layers(expr.terms);
      if (!root) return null;
      base = { name: expr.terms.map(layerText).join(" "), root, inserts: [] };
    }
    let ok = true;
    const described: string[] = [base.name];
    for (const m of expr.modifiers) {
      if (m.kind === "mask") {
        const v = scalarReaders.mask(m.mask);
        if (isDiagnostic(v)) {
          this.diagnostics.push(v);
          ok = false;
        } else base.mask = { value: v, span: m.mask.span };
        described.push(`mask ${m.mask.kind === "mask" ? m.mask.value : ""}`);
      } else if (m.kind === "maps") {
        const v = scalarReaders.maps(m.value);
        if (isDiagnostic(v)) {
          this.diagnostics.push(v);
          ok = false;
        } else base.maps = v;
        described.push(`maps ${m.value.kind === "number" ? m.value.raw : ""}`);
      } else {
        const layers = this.layers(m.layers);
        const after = wholeNumber(m.after, 0, "insert position");
        if (isDiagnostic(after)) {
          this.diagnostics.push(after);
          ok = false;
        } else if (after > base.root.length) {
          this.diagnostics.push(
            error(
              "E117",
              m.after.span,
              `position ${after} is past the last layer: '${base.name}' has ${base.root.length} layers`,
            ),
          );
          ok = false;
        } else if (layers) base.inserts.push({ after, layers, span: m.span });
        if (!layers) ok = false;
        described.push(
          `insert ${m.layers.map(layerText).join(" ")} after ${m.after.kind === "number" ? m.after.raw : ""}`,
        );
      }
    }
    if (!ok) return null;
    base.name = name ?? described.join(" ");
    return base;
  }

  /** An unknown layer in a file with blocks may be a misspelt block: say so, and name the nearest. */
  private unknownWord(ref: LayerRef, d: Diagnostic): Diagnostic {
    if (d.code !== "E102" || this.blocks.size === 0) return d;
    const word = ref.name.value;
    const names = [...this.blocks.keys()];
    const near = closest(word, names);
    const hint = d.hint?.startsWith("did you mean")
      ? `${d.hint}${near ? ` Or block '${near}'?` : ""}`
      : near
        ? `did you mean block '${near}'?`
        : `The blocks here are ${names.map((n) => `'${n}'`).join(", ")}; a block named with a number (res16) takes a width (res32). ${d.hint ?? ""}`.trim();
    return { ...d, message: `unknown layer or block '${word}'`, hint };
  }

  private layers(refs: LayerRef[]): PlacedLayer[] | null {
    const out: PlacedLayer[] = [];
    let ok = true;
    for (const ref of refs) {
      if (this.defs.has(ref.name.value) && !this.blocks.has(ref.name.value)) {
        this.diagnostics.push(
          error(
            "E102",
            ref.name.span,
            `model '${ref.name.value}' cannot be mixed with layers`,
            "To change a named model, use its name alone with mask, maps or insert ... after N.",
          ),
        );
        ok = false;
        continue;
      }
      if (ref.name.value === "residual" && ref.inner && ref.inner.length > 0) {
        // Its layers may name blocks: read them here, where blocks are known.
        const inner = this.layers(ref.inner);
        if (!inner) ok = false;
        else if (ref.args.length > 0) {
          this.diagnostics.push(error("E103", ref.span, "residual takes its layers, not options"));
          ok = false;
        } else out.push({ draft: { type: "residual", layers: inner.map((p) => p.draft) }, span: ref.span });
        continue;
      }
      const block = this.blockOf(ref);
      if (block === null) {
        ok = false;
        continue;
      }
      if (block) {
        out.push(block);
        continue;
      }
      const r = parseLayer(ref);
      if (r.ok) out.push({ draft: r.layer, span: ref.span });
      else {
        this.diagnostics.push(this.unknownWord(ref, r.diagnostic));
        ok = false;
      }
    }
    return ok ? out : null;
  }
}

/** E108 for a name that a model and a block both have, at the second. */
function bothNames(name: string, at: Span, first: Span): Diagnostic {
  return error(
    "E108",
    at,
    `'${name}' names both a model and a block`,
    "Give the model and the block different names: a layer list reads the name as the block, an experiment as the model.",
    [{ span: first, message: "first defined here" }],
  );
}

/** Whether a word starts like a layer (so a typo in it is an unknown layer, not an unknown model). */
function looksLikeLayer(word: string): boolean {
  const prefix = /^[A-Za-z_]+/.exec(word)?.[0] ?? word;
  return closest(prefix, [...layerWords, "maxpool"]) !== undefined || /\d/.test(word);
}

function layerText(ref: LayerRef): string {
  const args = ref.args.map((a) => `${a.key ? `${a.key.value}=` : ""}${valueText(a.value)}`);
  return args.length > 0 ? `${ref.name.value}(${args.join(", ")})` : ref.name.value;
}

/** Indices of the root layers a mask covers: conv and pool layers before the first flat one. */
export function featureLayers(t: Template): number[] {
  const out: number[] = [];
  for (const [i, l] of t.root.entries()) {
    const kind = kindOf(l.draft);
    if (kind.flattens || kind.input === "flat") break;
    if (kind.maskWord) out.push(i);
  }
  return out;
}

export interface Materialized {
  model: ModelSpec;
  summary: Summary;
  /** Where each layer of `model` was written. */
  origins: Span[];
}

/**
 * Applies a mask, insertions, feature maps and dropout rate to a template and checks the result's
 * shapes. Masks and insert positions refer to the template's own layers, counted from 1.
 */
export function materialize(
  t: Template,
  o: Overrides,
  input: ModelSpec["input"],
  classes: number,
): Materialized | Diagnostic {
  const mask = o.mask ?? t.mask;
  const features = featureLayers(t);
  const dropped = new Set<number>();
  if (mask) {
    const bits = mask.value.split("-");
    if (bits.length !== features.length) {
      const kinds = features.map((i) => kindOf(t.root[i]?.draft ?? { type: "flatten" }).maskWord).join(", ");
      return error(
        "E109",
        mask.span,
        `mask ${mask.value} has ${bits.length} digits but '${t.name}' has ${features.length} feature layers (${kinds || "none"})`,
      );
    }
    bits.forEach((b, k) => {
      if (b === "0") dropped.add(features[k] ?? -1);
    });
  }
  const placed: PlacedLayer[] = [];
  const addInserts = (pos: number) => {
    for (const ins of t.inserts) if (ins.after === pos) placed.push(...ins.layers);
  };
  addInserts(0);
  t.root.forEach((l, i) => {
    if (!dropped.has(i)) placed.push(l);
    addInserts(i + 1);
  });
  const maps = o.maps ?? t.maps;
  const layers: LayerSpec[] = [];
  const origins: Span[] = [];
  let flat = false;
  const lastDense = placed.findLastIndex((l) => l.draft.type === "dense");
  placed.forEach((p, i) => {
    const kind = kindOf(p.draft);
    if (kind.input === "flat" && !flat) {
      layers.push({ type: "flatten" });
      origins.push(p.span);
    }
    if (kind.input === "flat" || kind.flattens) flat = true;
    const ctx = { lastDense: i === lastDense, maps, dropout: o.dropout };
    layers.push(kind.place ? kind.place(p.draft as never, ctx) : ({ ...p.draft } as LayerSpec));
    origins.push(p.span);
  });
  const suffix: string[] = [];
  if (o.mask && o.mask.value !== t.mask?.value) suffix.push(`mask ${o.mask.value}`);
  if (o.maps !== undefined && o.maps !== t.maps) suffix.push(`maps ${o.maps}`);
  if (o.dropout !== undefined) suffix.push(`dropout ${o.dropout}`);
  const model: ModelSpec = { name: [t.name, ...suffix].join(" "), input, classes, layers };
  const summary = summarize(model);
  if (isProblem(summary)) {
    const at = origins[summary.layer] ?? placed.at(-1)?.span ?? mask?.span;
    if (!at) return error(summary.code, startOfFile, summary.message);
    return error(summary.code, at, `${summary.message} (in '${model.name}')`);
  }
  return tooManyParameters(model, summary, origins) ?? { model, summary, origins };
}
