import { describe, expect, it } from "vitest";
import { bounds } from "../../src/bounds.js";
import { compile } from "../../src/compile.js";
import { defaultMaxNesting, parse } from "../../src/dsl/parse.js";

const where = (source: string) =>
  compile(source, "deep.cnnp").diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`);

/** `depth` experiments, each inside the one before, the innermost holding a model. */
function nested(depth: number): string {
  const open = Array.from({ length: depth }, (_, i) => `experiment "E${i}" {\n`).join("");
  return `${open}model conv8 pool dense10\n${"}\n".repeat(depth)}`;
}

describe("nesting deeper than the bound is a located error, never a stack overflow (finding 7)", () => {
  it("reports 450 nested experiment blocks once, at the first brace too deep", () => {
    const codes = where(nested(450));
    expect(codes).toContain(`E133 ${bounds.nesting + 1}:${`experiment "E${bounds.nesting}" `.length + 1}`);
    expect(codes.filter((c) => c.startsWith("E133"))).toHaveLength(1);
    expect(codes.filter((c) => c.startsWith("E002"))).toEqual([]);
  });

  it("survives 100,000 nested blocks, and 20,000 `experiment` keywords that recovery would open without braces", () => {
    expect(where(nested(100_000))).toContain("E133 33:18");
    const bare = Array.from({ length: 20_000 }, (_, i) => `experiment "a${i}" `).join("");
    expect(where(bare).some((c) => c.startsWith("E133 1:"))).toBe(true);
    const lines = Array.from({ length: 20_000 }, (_, i) => `experiment "a${i}"\n`).join("");
    expect(where(lines).some((c) => c.startsWith("E133 33:1"))).toBe(true);
  });

  it("accepts nesting up to the bound in the parser (the checker then says experiments cannot nest)", () => {
    const codes = where(nested(bounds.nesting));
    expect(codes.filter((c) => c.startsWith("E133") || c.startsWith("E002"))).toEqual([]);
    expect(codes).toContain("E118 2:1");
  });

  it("parses with the checker's bound by default", () => {
    expect(defaultMaxNesting).toBe(bounds.nesting);
    expect(parse(nested(3), "x", { maxNesting: 2 }).diagnostics.map((d) => d.code)).toEqual(["E133"]);
  });

  it("checks a chain of 20,000 experiments waiting on each other's answers without a stack overflow", () => {
    const n = 20_000;
    const blocks = Array.from(
      { length: n },
      (_, i) =>
        `experiment "e${i}" {\n  epochs from "e${(i + 1) % n}"\n  find best epochs by test.accuracy\n  sweep epochs [1, 2]\n}\n`,
    );
    const c = compile(`model m = conv8 pool dense10\n${blocks.join("")}`, "chain.cnnp");
    expect(c.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual(["E126 3:10"]);
    expect(c.diagnostics[0]?.message).toMatch(
      /^these experiments wait on each other's answers: "e0" -> "e1" -> /,
    );
  });
});
