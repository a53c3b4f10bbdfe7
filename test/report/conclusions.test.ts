import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeConclusions } from "../../src/report/conclusions.js";
import type { ExperimentReport, LossTurn, Row } from "../../src/report/schema.js";
import { compare, summarize } from "../../src/report/stats/index.js";
import { csvOf, tableOf } from "../../src/report/tables.js";

type Draft = Omit<ExperimentReport, "charts" | "conclusion" | "headline" | "details" | "notes">;

/** A row from test accuracies given by hand (loss 1 - accuracy, 1 s per run). */
function row(index: number, label: string, accs: number[], base: number[] | null, missing = 0): Row {
  const s = summarize(accs);
  const metrics: Row["metrics"] = {};
  if (s) {
    metrics["test.accuracy"] = s;
    metrics["test.loss"] = summarize(accs.map((a) => 1 - a)) ?? undefined;
    metrics["time.per_sample"] = summarize(accs.map(() => 0.001)) ?? undefined;
  }
  return {
    index,
    label,
    values: { maps: Number(label.split(" ")[1]) },
    baseline: base === null,
    waiting: false,
    planned: accs.length + missing,
    ok: accs.length,
    failed: 0,
    unavailable: 0,
    missing,
    errors: [],
    notAvailable: [],
    metrics,
    vsBaseline:
      base === null
        ? null
        : {
            "test.accuracy": compare(accs, base),
            "test.loss": compare(
              accs.map((a) => 1 - a),
              base.map((a) => 1 - a),
            ),
          },
    backends: ["wasm"],
    hosts: ["h"],
    model: "m",
    params: 113_386,
    perClass: null,
  };
}

function experiment(rows: Row[], extra: Partial<Draft> = {}): Draft {
  return {
    number: 1,
    title: "Maps",
    slug: "maps",
    kind: "sweep",
    search: null,
    definition: 'experiment "Maps" {}',
    line: 1,
    varied: [{ name: "maps", values: rows.map((r) => String(r.values.maps)) }],
    fixed: {},
    repeat: 4,
    columns: ["test.loss", "test.accuracy"],
    rows,
    curves: [],
    lossTurn: null,
    answers: [],
    uses: [],
    classNames: [],
    figures: [],
    figuresSummary: null,
    images: { configurations: [], misclassified: null },
    models: [],
    confusion: [],
    status: {
      jobs: rows.reduce((n, r) => n + r.planned, 0),
      ok: rows.reduce((n, r) => n + r.ok, 0),
      failed: 0,
      unavailable: 0,
      missing: rows.reduce((n, r) => n + r.missing, 0),
      waiting: 0,
    },
    ...extra,
  };
}

const base = [0.8, 0.81, 0.79, 0.8];
const dir = mkdtempSync(join(tmpdir(), "cnnp-templates-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("conclusions", () => {
  it("names the best configuration and claims only the differences the t-test supports", async () => {
    const w = await writeConclusions();
    const rows = [
      row(0, "maps 32", base, null),
      // Far above the noise: Welch p < 0.001.
      row(1, "maps 64", [0.86, 0.87, 0.85, 0.86], base),
      // Within the noise: mean 0.8025, p = 0.74.
      row(2, "maps 16", [0.79, 0.82, 0.8, 0.8], base),
    ];
    const accuracies = [base, [0.86, 0.87, 0.85, 0.86], [0.79, 0.82, 0.8, 0.8]];
    const { conclusion } = w.write(experiment(rows), [], accuracies);
    expect(conclusion).toContain("The highest mean test accuracy is maps 64's, 0.8600 ± 0.0082, n = 4");
    // One sentence per group, with Holm's p beside Welch's (two comparisons with the baseline).
    expect(conclusion).toContain(
      "More accurate than the baseline, maps 32, beyond the run-to-run noise: maps 64 (+0.0600, p < 0.001, Holm-adjusted p < 0.001, Hedges' g 6.39).",
    );
    const same =
      /the differences of maps 16 \(\+0\.0025, p = 0\.752, Holm-adjusted p = 0\.752; about (\d+) repeats would detect it\) cannot be told apart from the run-to-run noise \(Welch's t-test, Holm-adjusted for 2 comparisons, p ≥ 0\.05\)/.exec(
        conclusion,
      );
    // A difference of 0.0025 at the pooled sd 0.00986: 2 * (1.96 + 0.84)^2 * (0.00986 / 0.0025)^2 ≈ 244.
    expect(Number(same?.[1])).toBeGreaterThanOrEqual(240);
    expect(Number(same?.[1])).toBeLessThanOrEqual(250);
    // Pooled sd 0.009860; with 4 repeats, df 6: (2.446912 + 0.905703) * 0.009860 * sqrt(2 / 4) = 0.0234.
    expect(conclusion).toContain(
      "With 4 repeats and a run-to-run standard deviation of 0.0099, a difference in test accuracy smaller than 0.0234 could go unseen (80% power, α = 0.05).",
    );
    expect(conclusion).not.toContain("maps 16 is more accurate");
    expect(conclusion).not.toContain("incomplete");
  });

  it("leads with the answer to the experiment's question, then the best configuration", async () => {
    const w = await writeConclusions();
    const rows = [row(0, "maps 32", base, null), row(1, "maps 8", [0.78, 0.79, 0.77, 0.78], base)];
    const answers = [
      {
        question: "min maps where test.accuracy >= 0.78",
        answer: "maps 8 (test accuracy 0.7800 ± 0.0082, n = 4)",
        target: "maps",
        value: 8,
        detail: "",
      },
    ];
    for (const kind of ["sweep", "ablation", "epochs", "early-stopping", "repeatability"] as const) {
      const { conclusion } = w.write(experiment(rows, { kind, answers }), [], [base, base]);
      expect(conclusion.startsWith("To “find min maps where test.accuracy >= 0.78”: maps 8"), kind).toBe(
        true,
      );
    }
    // Without a question, the best configuration comes first.
    const plain = w.write(experiment(rows), [], [base, base]).conclusion;
    expect(plain.startsWith("The highest mean test accuracy is maps 32's")).toBe(true);
  });

  it("names the fastest back end first, then each finished one's time and accuracy in one sentence", async () => {
    const w = await writeConclusions();
    const failed = { ...row(2, "backend tensorflow", [], null, 1), failed: 1, missing: 0 };
    const rows = [row(0, "backend native", [0.85], null), row(1, "backend wasm", [0.84], null), failed];
    const { conclusion } = w.write(experiment(rows, { kind: "platforms" }), [], []);
    // The rows here carry no total time, so the sentence leaves it out.
    expect(
      conclusion.startsWith("The fastest is backend native: 1.000 ms per sample, with wasm on h. "),
    ).toBe(true);
    expect(conclusion).toContain(
      "Time per sample and test accuracy of each: backend native 1.000 ms and 0.8500, n = 1; backend wasm 1.000 ms and 0.8400, n = 1.",
    );
    expect(conclusion).not.toContain("; .");
  });

  it("writes a worse configuration's difference and effect size with the same minus sign", async () => {
    const w = await writeConclusions();
    const lower = [0.74, 0.75, 0.73, 0.74];
    const rows = [row(0, "maps 32", base, null), row(1, "maps 1", lower, base)];
    const { conclusion } = w.write(experiment(rows), [], [base, lower]);
    // Mirror image of maps 64 above: -0.0600 and Hedges' g -6.39, with U+2212 in both.
    expect(conclusion).toContain(
      "Less accurate than the baseline, maps 32, beyond the noise: maps 1 (−0.0600, p < 0.001, Hedges' g −6.39).",
    );
    expect(conclusion).not.toContain("g -");
  });

  it("says that no test is possible with one run, and that results are incomplete", async () => {
    const w = await writeConclusions();
    const rows = [row(0, "maps 32", [0.8], null, 3), row(1, "maps 64", [0.9], [0.8], 3)];
    const { conclusion } = w.write(experiment(rows), [], []);
    expect(conclusion).toContain("With one run each, no test is possible for maps 64");
    expect(conclusion).not.toContain("more accurate than the baseline");
    expect(conclusion).toContain("Results are incomplete: 2 of 8 jobs finished, 6 not run yet");
  });

  it("renders notes with the same numbers, and lets a user's template replace a built-in one", async () => {
    writeFileSync(join(dir, "sweep.hbs"), "Ours: {{best.label}} wins with {{best.accuracy}}.{{> status}}");
    const w = await writeConclusions(dir);
    const rows = [row(0, "maps 32", base, null), row(1, "maps 64", [0.86, 0.87, 0.85, 0.86], base)];
    const out = w.write(experiment(rows), ["Best: {{best.label}}; baseline {{baseline.accuracy}}."], []);
    expect(out.conclusion).toBe("Ours: maps 64 wins with 0.8600 ± 0.0082, n = 4.");
    expect(out.notes).toEqual(["Best: maps 64; baseline 0.8000 ± 0.0082, n = 4."]);
    await expect(writeConclusions(join(dir, "nope"))).rejects.toThrow(/nope: no such templates folder/);
  });

  it("ablation: calls dropout rows dropout rates and others architectures", async () => {
    const w = await writeConclusions();
    const rows = [row(0, "dropout 0", base, null), row(1, "dropout 0.5", [0.76, 0.77, 0.75, 0.76], base)];
    const varied = [{ name: "dropout", values: ["0", "0.5"] }];
    const dropout = w.write(experiment(rows, { kind: "ablation", varied }), [], []).conclusion;
    expect(dropout).toContain(
      "Of the 2 dropout rates with results, dropout 0 has the highest mean test accuracy",
    );
    const masks = w.write(
      experiment(rows, { kind: "ablation", varied: [{ name: "mask", values: ["1-1-1-1", "0-1-0-1"] }] }),
      [],
      [],
    ).conclusion;
    expect(masks).toContain("Of the 2 architectures with results,");
  });

  it("sweeps and ablations of two rows say when one's repeats vary more beyond chance, and only then", async () => {
    const w = await writeConclusions();
    const steady = [0.889, 0.886, 0.891];
    const write = (kind: "sweep" | "ablation", other: number[]) => {
      const rows = [row(0, "model final", steady, null), row(1, "model resnet", other, steady)];
      return w.write(experiment(rows, { kind }), [], [steady, other]).conclusion;
    };
    // The resnet study's experiment 1: sd 0.0919 against 0.0025 here, F about 1,350 on (2, 2) df.
    for (const kind of ["sweep", "ablation"] as const)
      expect(write(kind, [0.704, 0.84, 0.879])).toContain(
        "The test accuracy of model resnet varies more from repeat to repeat than model final's, beyond chance (standard deviation 0.0919 against 0.0025; F-test, p = 0.001).",
      );
    // Spreads alike: no sentence (the repeatability template says it either way).
    expect(write("sweep", [0.87, 0.873, 0.868])).not.toContain("varies more");
    // Three rows, one of them not run yet: no test of two that would vanish when the third comes.
    const three = [
      row(0, "model final", steady, null),
      row(1, "model resnet", [0.704, 0.84, 0.879], steady),
      row(2, "model plain", [], steady, 3),
    ];
    const c = w.write(
      experiment(three, { kind: "sweep" }),
      [],
      [steady, [0.704, 0.84, 0.879], []],
    ).conclusion;
    expect(c).not.toContain("varies more");
  });

  it("repeatability: says by the F-test on the runs whether one configuration's spread is narrower", async () => {
    const w = await writeConclusions();
    const write = (on: number[], off: number[]) => {
      const rows = [row(0, "shuffle on", on, null), row(1, "shuffle off", off, on)];
      return w.write(experiment(rows, { kind: "repeatability" }), [], [on, off]).conclusion;
    };
    // stats.test.ts' F-test case over 1000: variances 617.5e-6 and 312.5e-6, two-sided p = 0.399.
    const wide = [0.61, 0.61, 0.55, 0.59, 0.565, 0.57];
    const narrow = [0.56, 0.55, 0.58, 0.55, 0.56, 0.59, 0.55, 0.59];
    expect(write(wide, narrow)).toContain(
      "The spreads of shuffle off and shuffle on do not differ beyond chance (F-test, p = 0.399).",
    );
    // Standard deviations 0.079 and 0.0008: F = 10,000 on (4, 4) df.
    expect(write([0.8, 0.9, 0.7, 0.85, 0.75], [0.8, 0.801, 0.799, 0.8005, 0.7995])).toContain(
      "The spread of shuffle off is narrower than that of shuffle on beyond chance (F-test, p < 0.001).",
    );
    expect(write(wide, narrow)).toContain("Over 6 runs of shuffle on, changing nothing but the seed");
  });

  it("epochs: calls a rise of the test loss over-fitting only beyond the repeats' spread", async () => {
    const w = await writeConclusions();
    const rows = [row(0, "maps 32", base, null)];
    const turn: LossTurn = {
      label: "epochs 25",
      tested: 3,
      bestEpoch: 18,
      lastEpoch: 25,
      bestLoss: 0.2816,
      lastLoss: 0.2817,
      trainAtBest: 0.2,
      trainAtLast: 0.17,
      n: 5,
      p: 0.98,
    };
    const write = (lossTurn: LossTurn) =>
      w.write(experiment(rows, { kind: "epochs", lossTurn }), [], [base]).conclusion;
    const noise = write(turn);
    expect(noise).toContain(
      "The rise is within the spread of the 5 repeats (paired t-test, p = 0.980): no sign of over-fitting within 25 epochs.",
    );
    expect(noise).not.toContain("over-fitting starts");
    const real = write({ ...turn, bestEpoch: 41, lastEpoch: 100, lastLoss: 0.437, n: 3, p: 0.007 });
    expect(real).toContain(
      "The rise is larger than the spread of the 3 repeats explains (paired t-test, p = 0.007): over-fitting starts after epoch 41.",
    );
    expect(write({ ...turn, lastLoss: 0.4, n: 1, p: null })).toContain(
      "With 1 repeat tested at both epochs, this rise cannot be told from the spread between runs",
    );
  });

  it("shows missing rows as missing in the table and the CSV, never as numbers", () => {
    const rows = [row(0, "maps 32", base, null), row(1, "maps 64", [], base, 4)];
    const e = { ...experiment(rows), charts: [], conclusion: "", headline: "", details: [], notes: [] };
    const t = tableOf(e);
    expect(t.rows[1]).toEqual(["maps 64", "113,386", "0/4", "missing", "missing", "missing"]);
    expect(t.rows[0]?.[5]).toBe("baseline");
    const csv = csvOf(e).trim().split("\n");
    expect(csv[0]).toMatch(
      /^experiment,configuration,maps,params,planned,ok,failed,missing,unavailable,time\.per_sample\.mean,/,
    );
    expect(csv[2]).toMatch(/^Maps,maps 64,64,113386,4,0,0,4,0,,,,/);
  });

  it("says in the table's caption which configuration's times came from which machine when there are several", () => {
    const rows = [row(0, "maps 32", base, null), row(1, "maps 64", base, base)];
    const e = { ...experiment(rows), charts: [], conclusion: "", headline: "", details: [], notes: [] };
    expect(tableOf(e).caption).not.toContain("machines");
    const [a, b] = rows as [Row, Row];
    a.hosts = ["vm (AMD EPYC (family 25, model 1; AVX2), 2 cores)"];
    b.hosts = ["vm (AMD EPYC (family 26, model 2; AVX-512), 2 cores)"];
    expect(tableOf(e).caption).toContain(
      "Training times come from 2 machines (maps 32 on vm (AMD EPYC (family 25, model 1; AVX2), 2 cores); maps 64 on vm (AMD EPYC (family 26, model 2; AVX-512), 2 cores)): compare them only between runs on the same machine",
    );
    // Many rows, each on both: said once, not row by row.
    const many = Array.from({ length: 40 }, (_, i) => ({
      ...row(i, `maps ${i + 1}`, base, i ? base : null),
      hosts: ["a", "b"],
    }));
    const caption = tableOf({ ...e, rows: many }).caption;
    expect(caption).toContain(
      "Training times come from 2 machines (every configuration's runs on all of them: a, b)",
    );
    expect(caption.length).toBeLessThan(400);
  });

  it("shows a note whose live numbers cannot be filled in as written, warns, and still writes the report", async () => {
    const warnings: string[] = [];
    const w = await writeConclusions(undefined, (line) => warnings.push(line));
    const rows = [row(0, "maps 32", base, null)];
    const out = w.write(experiment(rows), ["See {{> appendix}} for more.", "Best: {{best.label}}."], []);
    expect(out.notes).toEqual(["See {{> appendix}} for more.", "Best: maps 32."]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/note 1 of experiment "Maps" is shown as written: .*appendix/);
  });

  it("writes titles and labels that a spreadsheet would run as formulas as text in the CSV", () => {
    const rows = [row(0, "maps 32", base, null)];
    const e = { ...experiment(rows), charts: [], conclusion: "", headline: "", details: [], notes: [] };
    for (const title of ["=HYPERLINK(A1)", "@SUM(A1)", "+1+1", "-2+3", "\tcmd"]) {
      const cells =
        csvOf({ ...e, title })
          .trim()
          .split("\n")[1] ?? "";
      expect(cells.startsWith(`'${title}`) || cells.startsWith(`"'${title}`)).toBe(true);
    }
    // Numbers stay numbers: a negative difference is not a formula.
    const negative =
      csvOf({ ...e, title: "Maps" })
        .trim()
        .split("\n")[1] ?? "";
    expect(negative).toMatch(/^Maps,maps 32,32,113386,/);
    expect(negative).not.toContain("'");
  });
});
