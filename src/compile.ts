import { readFile } from "node:fs/promises";
import { bounds } from "./bounds.js";
import { check } from "./check/check.js";
import { byPosition, type Diagnostic } from "./diagnostics/diagnostic.js";
import { parse } from "./dsl/parse.js";
import type { Answers, CheckedPipeline, Observed } from "./model/index.js";

export interface Compiled {
  file: string;
  source: string;
  /** Null when there are errors. */
  pipeline: CheckedPipeline | null;
  diagnostics: Diagnostic[];
}

/**
 * Parses and checks pipeline text. Syntax errors do not stop the checks, so one run reports every
 * mistake; statements that did not parse are left out of the checks. Never throws.
 */
export function compile(
  source: string,
  file: string,
  answers: Answers = new Map(),
  observed: Observed = new Map(),
): Compiled {
  const parsed = parse(source, file, { maxNesting: bounds.nesting });
  const checked = check(parsed.ast, source, answers, observed);
  const diagnostics = [...parsed.diagnostics, ...checked.diagnostics].sort(byPosition);
  const unique = diagnostics.filter(
    (d, i) =>
      i === 0 ||
      !(
        d.span.offset === diagnostics[i - 1]?.span.offset &&
        d.code === diagnostics[i - 1]?.code &&
        d.message === diagnostics[i - 1]?.message
      ),
  );
  const hasErrors = unique.some((d) => d.severity === "error");
  return { file, source, pipeline: hasErrors ? null : checked.pipeline, diagnostics: unique };
}

/** Thrown for a pipeline file that cannot be read; the CLI prints it without a stack trace. */
export class FileError extends Error {}

export async function compileFile(path: string): Promise<Compiled> {
  return compile(await readSource(path), path);
}

/** A pipeline file's text; a FileError that says why when it cannot be read. */
export async function readSource(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const why =
      (e as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : (e as NodeJS.ErrnoException).code === "EISDIR"
          ? "it is a folder"
          : (e as Error).message;
    throw new FileError(`cannot read ${path}: ${why}`);
  }
}
