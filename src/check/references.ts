import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import type { AnswerUse, Pipeline, Statement, Value } from "../dsl/ast.js";
import type { Answers, Dependency, SweepValue } from "../model/index.js";
import { closest } from "../util/suggest.js";
import { cycles } from "./cycles.js";

type Of<K extends Statement["kind"]> = Extract<Statement, { kind: K }>;
type Reference = Extract<Value, { kind: "reference" }>;

/** A reference as found in the AST, with the name it gives a value to. */
interface Found {
  ref: Reference;
  name: string;
  /** Replaces the reference in the AST. */
  put: (v: Value) => void;
}

/** Every reference in a block's statements, with the name its value is for. */
function referencesIn(statements: Statement[]): Found[] {
  const out: Found[] = [];
  for (const s of statements) {
    if (s.kind === "setting")
      s.args.forEach((a, i) => {
        if (a.kind === "reference") out.push({ ref: a, name: s.name.value, put: (v) => (s.args[i] = v) });
      });
    if (s.kind === "sweep")
      for (const item of s.items) {
        if (item.kind === "value" && item.value.kind === "reference")
          out.push({ ref: item.value, name: s.names[0]?.value ?? "", put: (v) => (item.value = v) });
        if (item.kind === "tuple")
          item.values.forEach((x, k) => {
            if (x.kind === "reference")
              out.push({ ref: x, name: s.names[k]?.value ?? "", put: (v) => (item.values[k] = v) });
          });
      }
  }
  return out;
}

/** Whether a question about `target` answers with a value for `name`. */
const answersFor = (target: string, name: string) =>
  target === name || (target === "epoch" && name === "epochs");

/**
 * Finds the experiment a reference names: its exact title (the first experiment of that title), or
 * the one title that starts with it and a space (`"6.2"`). Each look-up is a map's or a binary
 * search's, so many references cost no more than reading them.
 */
class Titles {
  private readonly exact = new Map<string, Of<"experiment">>();
  /** Every block, by title (ties in file order). */
  private readonly sorted: Of<"experiment">[];

  constructor(blocks: Of<"experiment">[]) {
    for (const b of blocks) if (!this.exact.has(b.title.value)) this.exact.set(b.title.value, b);
    this.sorted = [...blocks].sort((a, b) =>
      a.title.value < b.title.value ? -1 : a.title.value > b.title.value ? 1 : 0,
    );
  }

  /** The first index whose title is not below `key`. */
  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.sorted[mid]?.title.value ?? "") < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  find(title: string): Of<"experiment"> | undefined {
    const exact = this.exact.get(title);
    if (exact) return exact;
    const prefix = `${title} `;
    const first = this.lowerBound(prefix);
    const one = this.sorted[first];
    if (!one?.title.value.startsWith(prefix)) return undefined;
    const second = this.sorted[first + 1];
    return second?.title.value.startsWith(prefix) ? undefined : one;
  }
}

/** Titles an E124 hint lists, at most. */
const listedTitles = 10;
/** References past this many unknown ones get no "did you mean" (each suggestion reads every title). */
const suggestedReferences = 20;

/** A value of the answer's kind, with where it stands. */
function answerValue(v: SweepValue, span: Span, from: AnswerUse): Value {
  if (typeof v === "number") return { kind: "number", value: v, raw: String(v), span, from };
  if (typeof v === "boolean") return { kind: "word", value: v ? "on" : "off", span, from };
  if (/^[01](-[01])+$/.test(v)) return { kind: "mask", value: v, span, from };
  return { kind: "word", value: v, span, from };
}

/**
 * A value the question could answer with, standing in until it has an answer, so the experiment can
 * be checked in full: the first value its experiment sweeps for the target (epoch 1 for `epoch`).
 */
function standIn(block: Of<"experiment">, target: string, span: Span, from: AnswerUse): Value {
  for (const s of block.body) {
    if (s.kind !== "sweep") continue;
    const k = s.names.findIndex((n) => n.value === target);
    const item = s.items[0];
    if (k < 0 || !item) continue;
    const v = item.kind === "tuple" ? item.values[k] : item.kind === "range" ? item.from : item.value;
    if (v && v.kind !== "reference" && v.kind !== "string") return { ...v, span, from };
  }
  return { kind: "number", value: 1, raw: "1", span, from };
}

/** The source text of a statement: `find best epoch by val.loss`. */
const textOf = (source: string, s: { span: Span }) =>
  source.slice(s.span.offset, s.span.endOffset + 1).replace(/\s+/g, " ");

/** What resolving the references gives: see resolveReferences. */
interface Resolved {
  diagnostics: Diagnostic[];
  dependencies: Dependency[];
  silenced: Span[];
}

/** A reference already reported: a stand-in whose own complaints are not worth repeating. */
function broken(f: Found, out: Resolved): void {
  f.put({ kind: "number", value: 1, raw: "1", span: f.ref.span });
  out.silenced.push(f.ref.span);
}

/** A reference outside every experiment block has no experiment to use it: each is reported. */
function reportOutside(statements: Statement[], out: Resolved): void {
  for (const f of referencesIn(statements)) {
    out.diagnostics.push(
      error(
        "E127",
        f.ref.span,
        "another experiment's answer can only be used inside an experiment block",
        "Move the setting into the experiment that uses the answer.",
      ),
    );
    broken(f, out);
  }
}

/** The experiments references may name, and what an E124 hint says of them. */
interface Lookup {
  byTitle: Titles;
  /** Each title once, in file order. */
  distinct: string[];
  /** The first titles, quoted, and how many more there are. */
  listed: string;
  /** References to unknown experiments so far (only the first few get a "did you mean"). */
  unknown: number;
}

function lookupOf(blocks: Of<"experiment">[]): Lookup {
  const distinct = [...new Set(blocks.map((b) => b.title.value))];
  const listed =
    distinct
      .slice(0, listedTitles)
      .map((t) => `"${t}"`)
      .join(", ") + (distinct.length > listedTitles ? ` and ${distinct.length - listedTitles} more` : "");
  return { byTitle: new Titles(blocks), distinct, listed, unknown: 0 };
}

/** E124: a reference names no experiment. */
function unknownExperiment(ref: Reference, lookup: Lookup): Diagnostic {
  // A short name is near everything: suggest only for real titles.
  const near =
    ref.experiment.value.length > 3 && lookup.unknown++ < suggestedReferences
      ? closest(ref.experiment.value, lookup.distinct)
      : undefined;
  return error(
    "E124",
    ref.experiment.span,
    `no experiment is called "${ref.experiment.value}"`,
    near ? `Did you mean "${near}"?` : `The experiments are: ${lookup.listed}.`,
  );
}

/** E125: the experiment a reference names asks no question whose answer is a value of `name`. */
function noQuestion(
  ref: Reference,
  target: Of<"experiment">,
  finds: Of<"find">[],
  name: string,
  source: string,
): Diagnostic {
  return error(
    "E125",
    ref.span,
    `"${target.title.value}" asks no question whose answer is a value of '${name}'`,
    finds.length > 0
      ? `Its questions: ${finds.map((q) => `\`${textOf(source, q)}\``).join(", ")}. Add one about '${name}' to it, e.g. \`find best ${name === "epochs" ? "epoch by val.loss" : `${name} by test.accuracy`}\`.`
      : `Add a question about '${name}' to it, e.g. \`find best ${name} by test.accuracy\`.`,
    [{ span: target.title.span, message: "the experiment referred to" }],
  );
}

/**
 * A search answers for each setting it samples (its best candidate's value) unless a `find` asks:
 * its statement, when `target` searches over `name`.
 */
function searchOf(target: Of<"experiment">, name: string): Of<"search"> | undefined {
  const search = target.body.find((s): s is Of<"search"> => s.kind === "search");
  const sampled = target.body.some((s) => s.kind === "sweep" && s.names.some((n) => n.value === name));
  return search && sampled ? search : undefined;
}

/** A reference linked to the question that answers it, its value still to be written. */
interface Linked {
  target: Of<"experiment">;
  found: Found;
  dep: Dependency;
}

/**
 * Links a reference in `block` to the experiment it names and the question there whose answer is
 * a value of its name; null when there is none (reported, and a stand-in written in its place).
 */
function link(
  block: Of<"experiment">,
  found: Found,
  lookup: Lookup,
  source: string,
  out: Resolved,
): Linked | null {
  const { ref, name } = found;
  const target = lookup.byTitle.find(ref.experiment.value);
  if (!target) {
    out.diagnostics.push(unknownExperiment(ref, lookup));
    broken(found, out);
    return null;
  }
  const finds = target.body.filter((s): s is Of<"find"> => s.kind === "find");
  const question = finds.find((q) => answersFor(q.target.value, name)) ?? searchOf(target, name);
  if (!question) {
    const searching = target.body.some((s) => s.kind === "search");
    out.diagnostics.push(
      searching
        ? error(
            "E125",
            ref.span,
            `"${target.title.value}" searches no values of '${name}'`,
            `A search answers for the settings it samples: add \`sweep ${name} [...]\` to it, or set '${name}' here.`,
            [{ span: target.title.span, message: "the search referred to" }],
          )
        : noQuestion(ref, target, finds, name, source),
    );
    broken(found, out);
    return null;
  }
  const dep: Dependency = {
    from: block.title.value,
    to: target.title.value,
    name,
    question: textOf(source, question),
    target: question.kind === "find" ? question.target.value : name,
    span: ref.span,
  };
  out.dependencies.push(dep);
  return { target, found, dep };
}

/** Writes in a linked reference's place the answer when `answers` has one, else a stand-in marked unresolved. */
function writeAnswer({ target, found, dep }: Linked, answers: Answers): void {
  const answer = answers.get(dep.to)?.get(dep.target);
  if (answer && answer.value !== null) {
    const from: AnswerUse = {
      experiment: dep.to,
      question: dep.question,
      resolved: true,
      detail: answer.detail,
    };
    found.put(answerValue(answer.value, found.ref.span, from));
  } else
    found.put(
      standIn(
        target,
        dep.target,
        found.ref.span,
        unresolved(dep.to, dep.question, answer?.detail ?? "its jobs have not all finished"),
      ),
    );
}

/**
 * Checks every `from "..."` reference (it names an experiment, that experiment asks a question
 * whose answer fits, no experiment waits on itself) and writes into the AST, in each one's place,
 * the answer when `answers` has one, else a stand-in marked unresolved. Returns the dependencies,
 * and the spans of the references already reported, where the checker's complaints about the
 * stand-in written there would only repeat them.
 */
export function resolveReferences(ast: Pipeline, source: string, answers: Answers): Resolved {
  const out: Resolved = { diagnostics: [], dependencies: [], silenced: [] };
  const blocks = ast.statements.filter((s): s is Of<"experiment"> => s.kind === "experiment");
  const lookup = lookupOf(blocks);
  reportOutside(ast.statements, out);
  const linked: Linked[] = [];
  for (const block of blocks)
    for (const found of referencesIn(block.body)) {
      const l = link(block, found, lookup, source, out);
      if (l) linked.push(l);
    }
  out.diagnostics.push(...cycles(out.dependencies));
  for (const l of linked) writeAnswer(l, answers);
  return out;
}

/**
 * The experiments whose answers experiment `title` uses, and the ones theirs use, all the way down
 * (titles, without `title` itself).
 */
export function answerSources(dependencies: readonly Dependency[], title: string): Set<string> {
  const found = new Set<string>();
  const pending = [title];
  for (let t = pending.pop(); t !== undefined; t = pending.pop())
    for (const d of dependencies)
      if (d.from === t && !found.has(d.to)) {
        found.add(d.to);
        pending.push(d.to);
      }
  return found;
}

function unresolved(experiment: string, question: string, detail: string): AnswerUse {
  return { experiment, question, resolved: false, detail };
}
