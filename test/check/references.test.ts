import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import type { Answers } from "../../src/model/index.js";
import { planToText } from "../../src/plan/format.js";
import { plan } from "../../src/plan/plan.js";

/** Experiment 2 takes its epoch count, and experiment 3 its mask, from other experiments' answers. */
const source = `data fashion_mnist train 256 test 128
repeat 2
model main = conv8 pool conv8 pool dense16 dense10

experiment "1. Early stopping" {
  validation_split 0.25
  epochs 6
  find best epoch by val.loss
}

experiment "2. Final" {
  sweep epochs [2, from "1."]
}

experiment "3. Masks" {
  sweep mask [1-1-1-1, 1-0-1-1]
  find best mask by test.accuracy
}

experiment "4. Best mask" {
  mask from "3. Masks"
  epochs from "1. Early stopping"
}
`;

const answers = (entries: [string, string, string | number][]): Answers => {
  const a: Answers = new Map();
  for (const [title, target, value] of entries)
    a.set(title, new Map([...(a.get(title) ?? []), [target, { value, detail: `the answer of ${title}` }]]));
  return a;
};

describe("references to other experiments' answers", () => {
  it("without answers: the configurations that use them wait, and the plan says so", () => {
    const c = compile(source, "refs.cnnp");
    expect(c.diagnostics).toEqual([]);
    const p = plan(c.pipeline ?? (null as never));
    const [, final, , best] = p.experiments;
    expect(final?.configurations.map((x) => [x.label, x.waiting])).toEqual([
      ["epochs 2", false],
      ['epochs from "1. Early stopping"', true],
    ]);
    expect(final?.jobs).toHaveLength(2);
    expect(final?.waiting).toEqual({ configurations: 1, jobs: 2 });
    expect(best?.jobs).toEqual([]);
    expect(c.pipeline?.dependencies.map((d) => [d.from, d.to, d.name, d.question])).toEqual([
      ["2. Final", "1. Early stopping", "epochs", "find best epoch by val.loss"],
      ["4. Best mask", "3. Masks", "mask", "find best mask by test.accuracy"],
      ["4. Best mask", "1. Early stopping", "epochs", "find best epoch by val.loss"],
    ]);
    const text = planToText(p);
    expect(text).toContain(
      '   uses    epochs from "1. Early stopping" (find best epoch by val.loss): no answer yet (its jobs have not all finished)',
    );
    expect(text).toContain(
      '   waits   1 configuration (2 jobs) cannot be planned until "1. Early stopping" answers; cnnp run trains it first',
    );
    expect(text).toContain(
      '   waits   1 configuration (2 jobs) cannot be planned until "3. Masks" and "1. Early stopping" answer;',
    );
  });

  it("with answers: the values are the answers, each saying where it came from, and nothing waits", () => {
    const c = compile(
      source,
      "refs.cnnp",
      answers([
        ["1. Early stopping", "epoch", 4],
        ["3. Masks", "mask", "1-0-1-1"],
      ]),
    );
    expect(c.diagnostics).toEqual([]);
    const p = plan(c.pipeline ?? (null as never));
    const final = p.experiments[1];
    expect(final?.configurations.map((x) => [x.label, x.training.epochs, x.waiting])).toEqual([
      ["epochs 2", 2, false],
      ["epochs 4", 4, false],
    ]);
    expect(final?.jobs).toHaveLength(4);
    const best = p.experiments[3]?.configurations[0];
    // 1-0-1-1 drops the first pooling layer: conv, conv, pool, flatten, dense, dense.
    expect(best?.model.layers.map((l) => l.type)).toEqual([
      "conv2d",
      "conv2d",
      "maxpool2d",
      "flatten",
      "dense",
      "dense",
    ]);
    expect(best?.training.epochs).toBe(4);
    expect(best?.uses.map((u) => [u.name, u.value, u.from.experiment, u.from.resolved])).toEqual([
      ["mask", "1-0-1-1", "3. Masks", true],
      ["epochs", 4, "1. Early stopping", true],
    ]);
    expect(planToText(p)).toContain(
      '   uses    epochs from "1. Early stopping" (find best epoch by val.loss): 4, the answer of 1. Early stopping',
    );
  });

  it("an answer that is not there yet leaves only its own users waiting", () => {
    const c = compile(source, "refs.cnnp", answers([["1. Early stopping", "epoch", 3]]));
    const p = plan(c.pipeline ?? (null as never));
    expect(p.experiments[1]?.waiting.configurations).toBe(0);
    expect(p.experiments[3]?.waiting.configurations).toBe(1);
  });
});
