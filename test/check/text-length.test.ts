import { describe, expect, it } from "vitest";
import { bounds } from "../../src/bounds.js";
import { compile } from "../../src/compile.js";

const model = "model main = conv8 pool dense10";

describe("titles and notes longer than their bounds are located errors (finding 9)", () => {
  it("rejects a 5,000-character title at the title, and accepts one of the largest length", () => {
    const long = "t".repeat(5000);
    const c = compile(`${model}\nexperiment "${long}" {\n  epochs 1\n}`, "titles.cnnp");
    expect(c.pipeline).toBeNull();
    expect(c.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`)).toEqual([
      "E134 2:12 an experiment's title may be at most 200 characters; this one has 5,000",
    ]);
    const fits = "t".repeat(bounds.titleLength);
    expect(compile(`${model}\nexperiment "${fits}" {\n  epochs 1\n}`, "titles.cnnp").diagnostics).toEqual([]);
  });

  it("rejects a note longer than the bound, triple-quoted or not, at the note", () => {
    const long = "word ".repeat(bounds.noteLength / 4);
    const c = compile(`${model}\nexperiment "A" {\n  note """\n  ${long}\n  """\n}`, "notes.cnnp");
    expect(c.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual(["E134 3:3"]);
    expect(c.diagnostics[0]?.message).toBe("a note may be at most 20,000 characters; this one has 24,999");
    const plain = compile(`${model}\nnote "${"x".repeat(bounds.noteLength + 1)}"`, "notes.cnnp");
    expect(plain.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual(["E134 2:1"]);
    expect(compile(`${model}\nnote "${"x".repeat(bounds.noteLength)}"`, "notes.cnnp").diagnostics).toEqual(
      [],
    );
  });
});
