import { describe, expect, it } from "vitest";
import { parse } from "../../src/dsl/parse.js";
import { printStatements } from "../../src/dsl/print.js";

const print = (text: string) => {
  const r = parse(text);
  expect(r.diagnostics).toEqual([]);
  return printStatements(r.ast.statements);
};

describe("parsing prints back", () => {
  it("the one-liner", () => {
    expect(print("model conv32 pool conv32 pool dense128 dense10; repeat 10; sweep epochs [5..100]")).toBe(
      "model conv32 pool conv32 pool dense128 dense10\nrepeat 10\nsweep epochs [5..100]",
    );
  });

  it("named models, modifiers, layer options, tuples, ranges with steps, questions and notes", () => {
    const text = `model main = conv32x5(activation=tanh, same) pool dense10  # a comment
experiment "A b" {
  model main mask 1-0-1-1 insert dropout0.25 after 1 maps 16
  sweep model, epochs [
    (main, 5),
    (main, 10)
  ]
  sweep learning_rate [0.1..0.5 step 0.1]
  find min maps where test.accuracy >= 0.80
  find best epoch by val.loss lowest
  note """
    Two lines
      indented
  """
}`;
    expect(print(text)).toBe(`model main = conv32x5(activation=tanh, same) pool dense10
experiment "A b" {
  model main mask 1-0-1-1 insert dropout0.25 after 1 maps 16
  sweep model, epochs [(main, 5), (main, 10)]
  sweep learning_rate [0.1..0.5 step 0.1]
  find min maps where test.accuracy >= 0.80
  find best epoch by val.loss lowest
  note "Two lines\\n  indented"
}`);
  });

  it("printing is a fixed point", () => {
    const once = print(`model m = conv8 pool dense10\nexperiment "x" { repeat 2; sweep maps [1, 2] }`);
    expect(print(once)).toBe(once);
  });

  it("reports a syntax error with what was expected, and reads on", () => {
    const r = parse("sweep epochs [5, 10\nrepeat 3\nmodel = conv8");
    expect(r.diagnostics.map((d) => [d.code, d.span.line, d.span.column, d.message])).toEqual([
      ["E002", 1, 20, "expected ']' but found the end of the line"],
      ["E002", 3, 7, "expected a name but found '='"],
    ]);
  });
});
