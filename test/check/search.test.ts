import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { plan } from "../../src/plan/plan.js";

const pipeline = (body: string, settings = "validation_split 0.1") =>
  `data fashion_mnist train 512 test 200\nepochs 2\nexperiment "Tuning" {\n  model conv8 pool dense10\n  ${settings}\n${body}\n}\n`;

/** Each diagnostic as `code line:col`. */
const errors = (text: string) =>
  compile(text, "t.cnnp").diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`);

describe("the search statement", () => {
  const space =
    "  sweep learning_rate log [0.001..0.3]\n  sweep momentum [0..0.95]\n  sweep batch [16, 32, 64]";

  it("plans a random search's candidates from the pipeline's seed: the same twice, sampled within the space", () => {
    const text = pipeline(`${space}\n  search random 6 by val.accuracy\n  repeat 2`);
    const a = compile(text, "t.cnnp");
    expect(a.diagnostics).toEqual([]);
    const e = a.pipeline?.experiments[0];
    expect(e?.configurations).toHaveLength(6);
    expect(e?.search).toMatchObject({ strategy: "random", count: 6, metric: "val.accuracy", higher: true });
    for (const c of e?.configurations ?? []) {
      expect(c.training.learningRate).toBeGreaterThanOrEqual(0.001);
      expect(c.training.learningRate).toBeLessThanOrEqual(0.3);
      expect(c.training.momentum).toBeLessThanOrEqual(0.95);
      expect([16, 32, 64]).toContain(c.training.batchSize);
    }
    const jobs = (t: string) =>
      plan(compile(t, "t.cnnp").pipeline as never).experiments.flatMap((x) => x.jobs.map((j) => j.id));
    expect(jobs(text)).toEqual(jobs(text));
    expect(jobs(text)).toHaveLength(12);
    expect(jobs(text.replace("epochs 2", "epochs 2\nseed 7"))).not.toEqual(jobs(text));
  });

  it("samples a log range on a log scale: about half its candidates below the geometric mean", () => {
    const text = pipeline("  sweep learning_rate log [0.0001..1]\n  search random 200 by test.accuracy", "");
    const rates =
      compile(text, "t.cnnp").pipeline?.experiments[0]?.configurations.map((c) => c.training.learningRate) ??
      [];
    expect(rates).toHaveLength(200);
    const below = rates.filter((r) => r < 0.01).length;
    expect(below).toBeGreaterThan(70);
    expect(below).toBeLessThan(130);
  });

  it("reports at the search a candidate it could propose that is not valid, found at the space's corners", () => {
    // A second conv of 3,400 maps is over the 100,000,000 parameters a model may have; whether
    // or not a candidate drawn so far went that high, the search could propose one.
    const text = `data fashion_mnist\nmodel m = conv8 conv8 pool dense128 dense10\nexperiment "x" {\n  sweep maps [1..3400]\n  sweep learning_rate log [0.001..0.1]\n  search tpe 12 by test.accuracy\n}\n`;
    const found = compile(text, "t.cnnp").diagnostics.filter((d) => d.span.line === 6);
    expect(found.map((d) => [d.code, d.span.column])).toEqual([["E132", 3]]);
    expect(found[0]?.message).toContain(
      "a candidate this search can propose is not valid: 'm maps 3400' has",
    );
    const fine = text.replace("[1..3400]", "[1..64]");
    expect(compile(fine, "t.cnnp").diagnostics).toEqual([]);
  });

  it("reports each fault at its place", () => {
    expect(errors(pipeline(`${space}\n  search grid 6 by val.accuracy`))).toEqual(["E136 9:10"]);
    expect(errors(pipeline(`${space}\n  search random 1 by val.accuracy`))).toEqual(["E137 9:17"]);
    expect(errors(pipeline(`${space}\n  search random 6 by val.acuracy`))).toEqual(["E139 9:22"]);
    // Validation metrics need validation data.
    expect(errors(pipeline(`${space}\n  search random 6 by val.accuracy`, "repeat 1"))).toEqual([
      "E139 9:22",
    ]);
    expect(errors(pipeline("  search tpe 8 by test.accuracy"))).toEqual(["E138 6:3"]);
    expect(errors(pipeline("  sweep momentum log [0..0.9]\n  search tpe 8 by test.accuracy"))).toEqual([
      "E140 6:23",
    ]);
    expect(errors(pipeline("  sweep learning_rate log [0..0.3]\n  search tpe 8 by test.accuracy"))).toEqual([
      "E140 6:28",
    ]);
    expect(
      errors(pipeline("  sweep learning_rate, momentum [(0.1, 0.9)]\n  search tpe 8 by test.accuracy")),
    ).toEqual(["E141 6:3"]);
    // A log scale outside a search.
    expect(errors(pipeline("  sweep learning_rate log [0.01..0.3]"))).toEqual(["E140 6:23"]);
  });
});
