import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";

const file = "test/fixtures/mistakes.cnnp";
const source = readFileSync(file, "utf8");

/** Each line marked `# Exxx` holds one mistake of that code. */
const expected = source
  .split("\n")
  .map((line, i) => ({ code: /# (E\d{3})/.exec(line)?.[1], line: i + 1 }))
  .filter((e): e is { code: string; line: number } => e.code !== undefined);

describe("a file of many mistakes", () => {
  const { diagnostics, pipeline } = compile(source, file);

  it("has at least 15 distinct kinds of mistake", () => {
    expect(new Set(expected.map((e) => e.code)).size).toBeGreaterThanOrEqual(15);
  });

  it("yields exactly one diagnostic per mistake, on its line", () => {
    expect(diagnostics.map((d) => ({ code: d.code, line: d.span.line }))).toEqual(expected);
    expect(pipeline).toBeNull();
  });

  it("points at the exact column of each mistake", () => {
    expect(diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual([
      "E108 3:7",
      "E102 4:14",
      "E111 5:28",
      "E104 6:21",
      "E104 7:15",
      "E113 8:21",
      "E112 9:22",
      "E101 10:1",
      "E104 11:7",
      "E103 12:11",
      "E118 13:1",
      "E002 14:28",
      "E105 17:17",
      "E114 18:9",
      "E106 22:9",
      "E116 23:12",
      "E115 24:24",
      "E109 28:15",
      "E107 32:9",
      "E104 33:10",
      "E108 36:12",
      "E120 40:3",
      "E121 44:35",
      "E003 48:8",
      "E124 52:25",
      "E125 53:8",
      "E126 58:10",
      "E127 67:6",
    ]);
  });

  it("suggests the closest valid name", () => {
    const hint = (code: string) => diagnostics.find((d) => d.code === code)?.hint;
    expect(hint("E102")).toBe("did you mean 'conv32'?");
    expect(hint("E101")).toBe("did you mean 'epochs'?");
    expect(hint("E103")).toBe("did you mean 'sgd'?");
  });
});
