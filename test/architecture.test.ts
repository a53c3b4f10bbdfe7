import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/** Data flows one way: each stage may import its own folder and the stages before it, nothing after. */
const stages = [
  "util",
  "version.ts",
  "diagnostics",
  "bounds.ts",
  "dsl",
  "layers",
  "model",
  "check",
  "compile.ts",
  "data",
  "plan",
  "store",
  "train",
  "runner",
  "execute",
  "queue",
  "report",
  "cli",
  "bench",
];

const root = resolve("src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Every relative import (types included) of every module under src/, as module paths. */
function imports(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(root)) {
    const text = readFileSync(file, "utf8");
    const targets = [...text.matchAll(/(?:from|import)\s+"(\.{1,2}\/[^"]+)"/g)].map((m) =>
      resolve(dirname(file), m[1] as string).replace(/\.js$/, ".ts"),
    );
    graph.set(file, targets);
  }
  return graph;
}

const stageOf = (file: string) => relative(root, file).split("/")[0] as string;

describe("the source tree", () => {
  it("imports only its own stage and earlier ones (no upward imports)", () => {
    const upward: string[] = [];
    for (const [from, targets] of imports())
      for (const to of targets) {
        const a = stages.indexOf(stageOf(from));
        const b = stages.indexOf(stageOf(to));
        expect(a, `${relative(root, from)} is in no known stage`).toBeGreaterThanOrEqual(0);
        if (b > a) upward.push(`${relative(root, from)} -> ${relative(root, to)}`);
      }
    expect(upward).toEqual([]);
  });

  it("has no circular imports between modules", () => {
    const graph = imports();
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const path: string[] = [];
    const visit = (m: string) => {
      state.set(m, "open");
      path.push(m);
      for (const t of graph.get(m) ?? []) {
        if (state.get(t) === "open")
          cycles.push([...path.slice(path.indexOf(t)), t].map((x) => relative(root, x)).join(" -> "));
        else if (!state.has(t)) visit(t);
      }
      path.pop();
      state.set(m, "done");
    };
    for (const m of graph.keys()) if (!state.has(m)) visit(m);
    expect(cycles).toEqual([]);
  });
});
