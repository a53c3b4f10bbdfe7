import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
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
  "search",
  "data",
  "check",
  "compile.ts",
  "plan",
  "store",
  "train",
  "runner",
  "execute",
  "queue",
  "run",
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

/** Files under src/ and native/ whose text contains `word`, as paths from the repository. */
function filesNaming(word: string, dirs = ["src", "native"]): string[] {
  const all = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? all(join(dir, e.name)) : [join(dir, e.name)],
    );
  return dirs.flatMap(all).filter((f) => readFileSync(f, "utf8").includes(word));
}

describe("a layer and a back end", () => {
  it("each live in one place: batchnorm in its layer file, its native and WebGPU files and their registries", () => {
    expect(filesNaming("batchnorm").sort()).toEqual([
      "native/layers/batchnorm.cc",
      "src/layers/batchnorm.ts",
      "src/layers/index.ts",
      "src/train/backends/webgpu/layers/batchnorm.ts",
      "src/train/backends/webgpu/layers/index.ts",
    ]);
  });

  it("are never branched on by name outside their folder and the registries (benchmarks measure named back ends on purpose)", () => {
    const outside = filesNaming('"native"', ["src"]).filter(
      (f) =>
        !f.startsWith("src/train/backends/native/") &&
        f !== "src/train/backends/index.ts" &&
        f !== "src/model/backends.ts" &&
        !f.startsWith("src/bench/"),
    );
    expect(outside).toEqual([]);
    expect(filesNaming("getBackend() ===", ["src"])).toEqual([]);
  });
});

describe("sizes", () => {
  it("no function in src/ is over 100 lines, and no file in src/cli/ over 120", () => {
    const long: string[] = [];
    for (const file of sources(root)) {
      const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
      const visit = (n: ts.Node) => {
        if (ts.isFunctionLike(n) && "body" in n && n.body) {
          const lines =
            sf.getLineAndCharacterOfPosition(n.getEnd()).line -
            sf.getLineAndCharacterOfPosition(n.getStart()).line +
            1;
          if (lines > 100)
            long.push(`${relative(root, file)}:${n.name?.getText(sf) ?? "(anonymous)"} ${lines}`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
      if (relative(root, file).startsWith("cli/")) {
        const lines = readFileSync(file, "utf8").split("\n").length - 1;
        if (lines > 120) long.push(`${relative(root, file)} ${lines} lines`);
      }
    }
    expect(long).toEqual([]);
  });
});
