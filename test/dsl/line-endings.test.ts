import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { formatDiagnostics } from "../../src/diagnostics/format.js";
import { Lines } from "../../src/diagnostics/lines.js";

/** A pipeline with a triple-quoted note, and a mistake on line 7 (column 10) and line 8. */
const lf = [
  "model main = conv32 pool dense10",
  'experiment "X" {',
  '  note """',
  "    first",
  "    second",
  '  """',
  "  epochs 0",
  "  dropout 2",
  "}",
  "",
].join("\n");

const endings = { LF: "\n", CRLF: "\r\n", CR: "\r" } as const;

const located = (source: string) =>
  compile(source, "endings.cnnp").diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`);

describe("line numbers and code frames are right for LF, CRLF and CR line endings (finding 8)", () => {
  for (const [name, eol] of Object.entries(endings)) {
    it(`places every diagnostic on its line with ${name} line endings, inside and after a triple-quoted note`, () => {
      const source = lf.replaceAll("\n", eol);
      expect(located(source)).toEqual(["E104 7:10", "E104 8:11"]);
      const text = formatDiagnostics(compile(source, "endings.cnnp").diagnostics, "endings.cnnp", source);
      expect(text).toContain("  --> endings.cnnp:7:10\n  > 7 |   epochs 0\n      |          ^\n");
      expect(text).toContain("  --> endings.cnnp:8:11\n  > 8 |   dropout 2\n      |           ^\n");
    });
  }

  it("reads a CRLF note inside an LF file, and a lone CR inside a note, as line breaks", () => {
    const mixed = lf.replace("    first\n", "    first\r\n").replace("    second\n", "    second\r");
    expect(located(mixed)).toEqual(["E104 7:10", "E104 8:11"]);
  });

  it("keeps a note's text the same, whatever its line endings", () => {
    const notes = Object.values(endings).map(
      (eol) =>
        compile(lf.replaceAll("\n", eol).replace(/epochs 0|dropout 2/g, ""), "n.cnnp").pipeline
          ?.experiments[0]?.notes,
    );
    expect(notes).toEqual([["first\nsecond"], ["first\nsecond"], ["first\nsecond"]]);
  });

  it("ends statements at a lone CR, as at a new line", () => {
    const source = "model main = conv32 pool dense10\repochs 2\rrepeat 2\r";
    const c = compile(source, "cr.cnnp");
    expect(c.diagnostics).toEqual([]);
    expect(c.pipeline?.experiments[0]?.repeat).toBe(2);
  });

  it("numbers lines as the lexer does, and finds the end of the file", () => {
    const lines = new Lines("a\r\nb\rc\nd");
    expect([1, 2, 3, 4, 5].map((n) => lines.line(n))).toEqual(["a", "b", "c", "d", ""]);
    expect(lines.position(5)).toEqual({ line: 3, column: 1 });
    expect(lines.position(4)).toEqual({ line: 2, column: 2 });
    expect(lines.end()).toEqual({ line: 4, column: 2 });
  });
});

describe("printing many diagnostics stays short and linear (finding 7)", () => {
  it("prints the first 100 in full, then says how many more there are", () => {
    const source = Array.from({ length: 250 }, () => "epochs 0").join("\n");
    const c = compile(`model main = conv8 pool dense10\n${source}`, "many.cnnp");
    const text = formatDiagnostics(c.diagnostics, "many.cnnp", c.source);
    expect(text.match(/^error\[/gm)).toHaveLength(100);
    expect(text).toContain("... and 150 more errors, not shown (the first 100 are above)");
    expect(text.endsWith("many.cnnp: 250 errors")).toBe(true);
  });

  it("cuts a very long line around the place it points at", () => {
    const source = `model main = conv8 pool dense10\nsweep maps [${"8, ".repeat(2000)}0]`;
    const c = compile(source, "long.cnnp");
    const text = formatDiagnostics(c.diagnostics, "long.cnnp", source);
    const frame = text.split("\n").find((l) => l.startsWith("  > 2 |")) ?? "";
    expect(frame.length).toBeLessThan(200);
    expect(frame).toMatch(/^ {2}> 2 \| …(, 8)+, 0\]$/);
    const carets = text.split("\n")[text.split("\n").indexOf(frame) + 1] ?? "";
    expect(carets.indexOf("^")).toBe(frame.lastIndexOf("0"));
  });
});
