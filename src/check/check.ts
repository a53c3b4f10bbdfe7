import { basename, extname } from "node:path";
import { bounds } from "../bounds.js";
import { type Diagnostic, error, type Span, startOfFile } from "../diagnostics/diagnostic.js";
import type { Pipeline, Statement } from "../dsl/ast.js";
import type { Answers, CheckedExperiment, CheckedPipeline, Observed } from "../model/index.js";
import { dataSource, oneDataSet } from "./data.js";
import { checkExperiment, checkUnusedModels, newContext } from "./experiment.js";
import { ModelRegistry } from "./models.js";
import { resolveReferences } from "./references.js";
import { readScope, tooLong } from "./scope.js";

export interface CheckResult {
  pipeline: CheckedPipeline;
  diagnostics: Diagnostic[];
}

type Of<K extends Statement["kind"]> = Extract<Statement, { kind: K }>;

function registerModels(statements: Statement[], models: ModelRegistry): void {
  for (const s of statements) {
    if (s.kind === "model" && s.name)
      models.define(s as Of<"model"> & { name: NonNullable<Of<"model">["name"]> });
    if (s.kind === "block") models.defineBlock(s);
    if (s.kind === "experiment") registerModels(s.body, models);
  }
}

/**
 * Whether a diagnostic lies inside one of `spans` (spans that do not overlap): a binary search, so
 * filtering many diagnostics against many spans stays fast.
 */
function within(spans: Span[]): (d: Diagnostic) => boolean {
  const sorted = [...spans].sort((a, b) => a.offset - b.offset);
  return (d) => {
    let lo = 0;
    let hi = sorted.length - 1;
    let found: Span | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = sorted[mid] as Span;
      if (s.offset <= d.span.offset) {
        found = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found !== undefined && d.span.endOffset <= found.endOffset;
  };
}

/**
 * Checks a parsed pipeline and expands it into experiments and configurations. Every problem found
 * is returned; experiments with errors are left out of the result. `answers` are the answers known
 * so far to the questions other experiments use (`epochs from "6.2"`): a value without one is a
 * stand-in, and its configurations wait.
 */
export function check(
  ast: Pipeline,
  source: string,
  answers: Answers = new Map(),
  observed: Observed = new Map(),
): CheckResult {
  const refs = resolveReferences(ast, source, answers);
  const diagnostics: Diagnostic[] = [];
  const models = new ModelRegistry(diagnostics);
  registerModels(ast.statements, models);
  const blocks = ast.statements.filter((s): s is Of<"experiment"> => s.kind === "experiment");
  const file = readScope(ast.statements, startOfFile, models, diagnostics);
  const ctx = newContext(models, diagnostics, source, ast.file);
  ctx.observed = observed;
  const experiments: CheckedExperiment[] = [];
  if (blocks.length === 0) {
    const title = basename(ast.file, extname(ast.file)) || "Experiment";
    const e = checkExperiment(file, file, 1, title, ctx);
    if (e) experiments.push(e);
  } else {
    for (const s of [...file.sweeps, ...file.searches, ...file.finds, ...file.notes, ...file.expects]) {
      diagnostics.push(
        error(
          "E118",
          s.span,
          `${s.kind === "expect" ? "an expect" : `a ${s.kind}`} belongs inside an experiment block`,
          'Move it into the `experiment "..." { }` it is about.',
        ),
      );
    }
    const titles = new Map<string, Of<"experiment">>();
    blocks.forEach((b, i) => {
      const first = titles.get(b.title.value);
      if (first) {
        diagnostics.push(
          error("E108", b.title.span, `two experiments are called "${b.title.value}"`, undefined, [
            { span: first.title.span, message: "first used here" },
          ]),
        );
        return;
      }
      titles.set(b.title.value, b);
      const long = tooLong(b.title.value, bounds.titleLength, "an experiment's title", b.title.span);
      if (long) diagnostics.push(long);
      const scope = readScope(b.body, b.span, models, diagnostics, b.title);
      const e = checkExperiment(scope, file, i + 1, b.title.value, ctx);
      if (e) experiments.push(e);
    });
  }
  checkUnusedModels(ctx, file);
  const first = experiments.find((e) => e.configurations[0]);
  const firstData = first?.configurations[0]?.data;
  if (first && firstData) {
    const other = experiments.find((e) => {
      const d = e.configurations[0]?.data;
      return d !== undefined && dataSource(d) !== dataSource(firstData);
    });
    const otherData = other?.configurations[0]?.data;
    if (other && otherData)
      diagnostics.push(
        oneDataSet(
          { title: first.title, data: firstData },
          { title: other.title, data: otherData, span: other.span },
        ),
      );
  }
  const slugs = new Map<string, number>();
  for (const e of experiments) {
    const n = (slugs.get(e.slug) ?? 0) + 1;
    slugs.set(e.slug, n);
    if (n > 1) e.slug = `${e.slug}-${n}`;
  }
  // The stand-ins of references already reported would only draw the same complaint again.
  const inside = within(refs.silenced);
  return {
    pipeline: { file: ast.file, source, experiments, dependencies: refs.dependencies },
    diagnostics: [...refs.diagnostics, ...diagnostics.filter((d) => !inside(d))],
  };
}
