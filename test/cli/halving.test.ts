import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import type { HistoryRecord } from "../../src/train/types.js";
import { cnnp } from "../helpers/cli.js";

/**
 * Successive halving through `cnnp run`: 9 candidates at 1 epoch, the best 3 at 3, the best at 9;
 * a candidate that goes on continues its run from its checkpoint, so the search trains 21 epochs
 * where training the 9 candidates to 9 epochs would take 81.
 */
const dir = join("test", ".tmp", `halving-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = `data fashion_mnist train 400 test 200
seed 3
epochs 9
validation_split 0.25
save_weights off
model m = conv4 pool dense10

experiment "Halving" {
  sweep learning_rate log [0.001..0.3]
  sweep momentum [0..0.9]
  search halving 9 by val.accuracy
}

experiment "Winner" {
  epochs 2
  learning_rate from "Halving"
  momentum from "Halving"
}
`;

interface Result {
  run: string;
  experiment: number;
  configuration: number;
  epochs: number;
  epochsTrained: number;
  history: HistoryRecord[];
  val: { accuracy: number };
}

const results = (folder: string): Result[] =>
  readdirSync(join(folder, "jobs"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(folder, "jobs", f), "utf8")) as Result);

describe("successive halving", { timeout: 300_000 }, () => {
  it("trains 21 epochs in all where the 9 candidates at 9 epochs would take 81, continuing each candidate's run", () => {
    const file = join(dir, "h.cnnp");
    writeFileSync(file, text);
    const folder = join(dir, "results");
    const plan = cnnp("plan", file);
    expect(plan.out).toContain(
      "budget  9 candidates at 1 epoch, then 3 candidates at 3 epochs, then 1 candidate at 9 epochs, x 1 repeat: 21 epochs in all (all 9 at 9: 81)",
    );
    const first = cnnp("run", file, "--workers", "2", "--results", folder);
    expect(first.code, first.err).toBe(0);
    const all = results(folder);
    const search = all.filter((r) => r.experiment === 1);
    expect(search.map((r) => r.epochs).sort((a, b) => a - b)).toEqual([
      1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 9,
    ]);
    const runs = new Map<string, Result[]>();
    for (const r of search) runs.set(r.run, [...(runs.get(r.run) ?? []), r]);
    expect(runs.size).toBe(9);
    // Each run trained as far as its last rung, and no further: 6 x 1 + 2 x 3 + 1 x 9.
    const trained = [...runs.values()].map((rs) => Math.max(...rs.map((r) => r.epochsTrained)));
    expect(trained.reduce((a, b) => a + b, 0)).toBe(21);
    // A candidate that went on kept its earlier epochs as they were trained, timings included:
    // its run continued from the checkpoint instead of training them again.
    for (const rs of runs.values()) {
      rs.sort((a, b) => a.epochs - b.epochs);
      for (let i = 1; i < rs.length; i++) {
        const [before, after] = [rs[i - 1] as Result, rs[i] as Result];
        expect(after.history.slice(0, before.epochs)).toEqual(before.history);
      }
    }
    // The best 3 of the first rung by validation accuracy went on, and the best of those.
    const rung = (e: number) => search.filter((r) => r.epochs === e);
    const goOn = (from: Result[], n: number) =>
      [...from]
        .sort((a, b) => b.val.accuracy - a.val.accuracy || a.configuration - b.configuration)
        .slice(0, n)
        .map((r) => r.run)
        .sort();
    expect(
      rung(3)
        .map((r) => r.run)
        .sort(),
    ).toEqual(goOn(rung(1), 3));
    expect(rung(9).map((r) => r.run)).toEqual(goOn(rung(3), 1));
    // The later experiment trained with the winner's settings.
    expect(first.err).toMatch(/answers now known: learning_rate [0-9.]+ from "Halving"/);
    expect(all.filter((r) => r.experiment === 2)).toHaveLength(1);
    const again = cnnp("run", file, "--workers", "1", "--results", folder);
    expect(again.err).toContain("14 of 14 jobs done (14 from earlier runs)");
    // Its page says what the rungs trained against the grid of its candidates.
    const out = join(dir, "site");
    const site = cnnp("site", file, "--results", folder, "--out", out);
    expect(site.code, site.err).toBe(0);
    const page = readFileSync(join(out, "experiments", "halving", "index.html"), "utf8");
    expect(page).toContain(
      "9 at 1 epoch, 3 at 3 epochs and 1 at 9 epochs, each candidate that went on continuing its run: 21 epochs in all, 26% of the 81",
    );
    expect(page).toContain("Its last rung has one candidate, the winner");
  });

  it("runs a halving search that no experiment waits for to its last rung in one cnnp run", () => {
    const file = join(dir, "alone.cnnp");
    writeFileSync(file, text.slice(0, text.indexOf('experiment "Winner"')).replace("epochs 9", "epochs 3"));
    const folder = join(dir, "alone");
    const r = cnnp("run", file, "--workers", "1", "--results", folder);
    expect(r.code, r.err).toBe(0);
    expect(
      results(folder)
        .map((x) => x.epochs)
        .sort(),
    ).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3]);
    expect(r.err).toContain('"Halving" has 12 of its 12 candidate rungs');
  });

  it("gives located errors for a halving search that cannot have two rungs, sweeps epochs or stops early", () => {
    const check = (body: string, settings = "") =>
      compile(
        `data fashion_mnist\n${settings}model m = conv4 pool dense10\nexperiment "x" {\n${body}\n}\n`,
        "h.cnnp",
      ).diagnostics.map((d) => [d.code, d.span.line, d.span.column, d.message]);
    const space = "  sweep learning_rate log [0.001..0.3]\n";
    expect(check(`${space}  search halving 2 by test.accuracy`, "epochs 9\n")).toEqual([
      [
        "E137",
        6,
        18,
        "successive halving of 2 candidates over 9 epochs has one rung: it would be a random search",
      ],
    ]);
    expect(check(`${space}  sweep epochs [3, 9]\n  search halving 9 by test.accuracy`)).toEqual([
      ["E141", 5, 3, "successive halving gives each candidate its epochs: it cannot sweep them"],
    ]);
    expect(
      check(
        `${space}  search halving 9 by val.loss`,
        "epochs 9\nvalidation_split 0.1\nearly_stopping patience 2\n",
      ),
    ).toEqual([
      [
        "E141",
        8,
        10,
        "successive halving continues its candidates' runs from rung to rung, which early stopping would end",
      ],
    ]);
  });
});
