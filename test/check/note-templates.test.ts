import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";

const model = "model main = conv8 pool dense10";

describe("notes are templates of the report's numbers", () => {
  it("rejects a note whose {{...}} does not parse, at the note, with what was expected", () => {
    const c = compile(`${model}\nexperiment "A" {\n  epochs 1\n  note "{{oops"\n}`, "notes.cnnp");
    expect(c.pipeline).toBeNull();
    expect(c.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual(["E135 4:3"]);
    expect(c.diagnostics[0]?.message).toMatch(
      /^this note's \{\{\.\.\.\}\} cannot be read \(line 1 of the note\): expected/,
    );
  });

  it("names the line inside a triple-quoted note, and accepts notes that parse or have no braces", () => {
    const c = compile(
      `${model}\nexperiment "A" {\n  note """\n    Best: {{best.label}}.\n    {{#each rows}}{{label}}\n  """\n}`,
      "notes.cnnp",
    );
    expect(c.diagnostics.map((d) => d.code)).toEqual(["E135"]);
    expect(c.diagnostics[0]?.message).toContain("(line 2 of the note)");
    const ok = compile(
      `${model}\nexperiment "A" {\n  note "Best: {{best.label}}; {{#each better}}{{label}}{{/each}}"\n  note "a } and a { alone"\n}`,
      "notes.cnnp",
    );
    expect(ok.diagnostics).toEqual([]);
  });
});
