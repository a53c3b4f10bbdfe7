import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { plan } from "../../src/plan/plan.js";
import { figuresSummary, figureVerdicts } from "../../src/report/figures.js";
import type { Row } from "../../src/report/schema.js";
import { summarize } from "../../src/report/stats/index.js";

/** Published figures for two configurations, checked against runs given by hand. */
const source = `data fashion_mnist train 512 test 256
model main = conv8 pool flatten dense16 dense10
experiment "Maps" {
  repeat 5
  sweep maps [8, 16]
  expect test.accuracy 0.84 for maps 8
  expect test.accuracy 0.87 for maps 8
  expect test.accuracy 0.80 for maps 8 n 5 sd 0.015
  expect test.loss 0.5 for maps 16
}
`;

const row = (index: number, label: string, accs: number[]): Row => {
  const metrics: Row["metrics"] = {};
  const s = summarize(accs);
  if (s) metrics["test.accuracy"] = s;
  return {
    index,
    label,
    values: { maps: Number(label.split(" ")[1]) },
    baseline: index === 0,
    waiting: false,
    planned: 5,
    ok: accs.length,
    failed: 0,
    unavailable: 0,
    missing: 5 - accs.length,
    errors: [],
    notAvailable: [],
    metrics,
    vsBaseline: null,
    backends: [],
    hosts: [],
    model: "m",
    params: 0,
    perClass: null,
  };
};

describe("published figures", () => {
  const c = compile(source, "figures.cnnp");
  const e = plan(c.pipeline ?? (null as never)).experiments[0];

  it("are read with their configuration, n and sd", () => {
    expect(c.diagnostics).toEqual([]);
    expect(e?.figures.map((f) => [f.metric, f.value, f.configuration, f.n, f.sd])).toEqual([
      ["test.accuracy", 0.84, 0, null, null],
      ["test.accuracy", 0.87, 0, null, null],
      ["test.accuracy", 0.8, 0, 5, 0.015],
      ["test.loss", 0.5, 1, null, null],
    ]);
  });

  it("get the verdicts worked out by hand: inside or outside the intervals, sds away, Welch's p", () => {
    // maps 8: mean 0.81, sd sqrt(0.001 / 4) = 0.015811; t(0.975, 4) = 2.776445.
    // One run's 95% prediction interval: 0.81 ± 2.776445 * 0.015811 * sqrt(1 + 1/5) = 0.81 ± 0.048088.
    // The mean's 95% interval: 0.81 ± 2.776445 * 0.015811 / sqrt(5) = 0.81 ± 0.019633.
    const rows = [row(0, "maps 8", [0.8, 0.82, 0.81, 0.79, 0.83]), row(1, "maps 16", [])];
    const [inside, outside, welch, none] = figureVerdicts(e ?? (null as never), rows);
    expect(inside?.prediction?.[0]).toBeCloseTo(0.761912, 5);
    expect(inside?.prediction?.[1]).toBeCloseTo(0.858088, 5);
    expect(inside?.interval?.[0]).toBeCloseTo(0.790367, 5);
    // 0.84: inside the prediction interval, outside the mean's, 1.90 sds above.
    expect(inside?.reproduced).toBe(true);
    expect(inside?.sds).toBeCloseTo(1.897, 3);
    expect(inside?.verdict).toBe(
      "reproduced: inside the 95% prediction interval of one run (0.7619 to 0.8581); outside the 95% interval of our mean (0.7904 to 0.8296); 1.9 run-to-run sds above our mean of 0.8100",
    );
    // 0.87: outside the prediction interval, 3.79 sds above.
    expect(outside?.reproduced).toBe(false);
    expect(outside?.sds).toBeCloseTo(3.795, 3);
    // 0.80 from 5 runs, sd 0.015: Welch t = -1.026 on 7.98 df, p = 0.335.
    expect(welch?.p).toBeCloseTo(0.335, 3);
    expect(welch?.reproduced).toBe(true);
    // No runs of maps 16 yet.
    expect(none?.reproduced).toBeNull();
    expect(figuresSummary([inside, outside, welch, none].filter((v) => v !== undefined))).toBe(
      "2 of 4 published figures reproduced (1 not judged yet)",
    );
  });

  it("a figure for no configuration, or for an unsaid one, is a located error", () => {
    const bad = compile(
      `model main = conv8 pool flatten dense16 dense10
experiment "Maps" {
  sweep maps [8, 16]
  expect test.accuracy 0.84
  expect test.accuracy 0.84 for maps 32
  expect test.acuracy 0.84 for maps 8
  expect test.accuracy 0.84 for maps 8 n 0
}
`,
      "bad.cnnp",
    );
    expect(bad.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual([
      "E128 4:3",
      "E128 5:3",
      "E115 6:10",
      "E128 7:42",
    ]);
    expect(bad.diagnostics[0]?.message).toBe(
      "this experiment has 2 configurations: say which one the figure is for",
    );
    expect(bad.diagnostics[1]?.message).toBe("no configuration has maps 32");
  });
});
