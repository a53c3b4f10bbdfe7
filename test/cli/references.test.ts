import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Study } from "../../src/report/schema.js";
import type { OkResult } from "../../src/store/schema.js";
import { cnnp } from "../helpers/cli.js";

/** An experiment that trains for the epoch count another one finds, from the CLI. */
const dir = join("test", ".tmp", `references-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, "chain.cnnp");
writeFileSync(
  file,
  `data fashion_mnist train 320 test 128
model small = conv4 pool flatten dense16 dense10
learning_rate 0.05

experiment "1. Early stopping" {
  repeat 3
  epochs 6
  validation_split 0.25
  find best epoch by val.loss
}

experiment "2. Final" {
  sweep epochs [1, from "1."]
}

experiment "3. Unrelated" {
  maps 8
}
`,
);
const results = join(dir, "results");

/** The small model on 320 images that the tests' pipelines train, then their experiments. */
const header = "data fashion_mnist train 320 test 128\nmodel small = conv4 pool flatten dense16 dense10\n";

/** Writes a pipeline into the test folder and runs it on one worker into its own results folder. */
function trainPipeline(name: string, text: string) {
  const file = join(dir, `${name}.cnnp`);
  writeFileSync(file, header + text);
  const out = join(dir, `${name}-results`);
  return { file, out, run: cnnp("run", file, "--results", out, "--workers", "1") };
}

describe("an experiment that uses another's answer", { timeout: 180_000 }, () => {
  it("plans what waits, trains in dependency order under --only, and reports where the value came from", () => {
    const before = cnnp("plan", file);
    expect(before.code).toBe(0);
    expect(before.out).toContain(
      '   waits   1 configuration (1 job) cannot be planned until "1. Early stopping" answers; cnnp run trains it first',
    );

    const status = cnnp("status", file, "--results", results, "--json");
    expect(JSON.parse(status.out).experiments.map((e: { waiting: number }) => e.waiting)).toEqual([0, 1, 0]);

    // --only the user: the experiment it depends on is trained first, the unrelated one is not.
    const run = cnnp("run", file, "--only", "2. Final", "--results", results, "--workers", "1");
    expect(run.code, run.err).toBe(0);
    expect(run.err).toMatch(/answers now known: epochs \d+ from "1\. Early stopping"/);

    // The answer by hand: each run's epoch of lowest validation loss, their mean, rounded.
    const files = readdirSync(join(results, "jobs"))
      .filter((f) => f.endsWith(".json"))
      .map((f) => JSON.parse(readFileSync(join(results, "jobs", f), "utf8")) as OkResult);
    const first = files.filter((f) => f.experiment === 1);
    expect(first).toHaveLength(3);
    const bestEpochs = first.map((f) => {
      const vals = f.history.map((h) => h.val?.loss ?? Number.POSITIVE_INFINITY);
      return vals.indexOf(Math.min(...vals)) + 1;
    });
    const expected = Math.round(bestEpochs.reduce((a, b) => a + b, 0) / bestEpochs.length);
    const final = files.filter((f) => f.experiment === 2);
    expect(final.map((f) => f.epochs).sort()).toEqual([1, expected].sort());
    // "epochs 1" and the answer's epochs differ only in epochs: one run serves both, kept back
    // until the answer was known and then trained once (one result written at its end).
    expect(run.err).toContain("1 run kept back until the answers that jobs sharing them wait for are known");
    expect(new Set(final.map((f) => f.run)).size).toBe(1);
    expect(new Set(final.map((f) => f.finishedAt)).size).toBe(1);
    expect(files.some((f) => f.experiment === 3)).toBe(false);

    const after = cnnp("status", file, "--results", results, "--json");
    expect(
      JSON.parse(after.out).experiments.map((e: { done: number; waiting: number }) => [e.done, e.waiting]),
    ).toEqual([
      [3, 0],
      [2, 0],
      [0, 0],
    ]);

    const json = cnnp("results", file, "--results", results, "--json");
    expect(json.code, json.err).toBe(0);
    const study = JSON.parse(json.out) as Study;
    const [e1, e2, e3] = study.experiments;
    expect(e1?.answers[0]).toMatchObject({ target: "epoch", value: expected });
    expect(e2?.uses).toEqual([
      {
        name: "epochs",
        value: expected,
        experiment: "1. Early stopping",
        question: "find best epoch by val.loss",
        text: `epochs ${expected}: the best epoch by validation loss, mean of 3 runs, in "1. Early stopping"`,
      },
    ]);
    expect(e2?.rows.map((r) => [r.label, r.ok, r.waiting])).toEqual([
      ["epochs 1", 1, false],
      [`epochs ${expected}`, 1, false],
    ]);
    const text = cnnp("results", file, "--results", results);
    expect(text.out).toContain(
      `uses: epochs ${expected}: the best epoch by validation loss, mean of 3 runs, in "1. Early stopping"`,
    );
    expect(e3?.status).toMatchObject({ ok: 0, missing: 1 });
  });

  it("a reference to nothing and a cycle are located errors", () => {
    const bad = join(dir, "bad.cnnp");
    writeFileSync(
      bad,
      `model m = conv4 pool flatten dense10
experiment "A" {
  validation_split 0.2
  epochs from "B"
  find best epoch by val.loss
}
experiment "B" {
  validation_split 0.2
  epochs from "A"
  find best epoch by val.loss
}
experiment "C" { epochs from "D" }
`,
    );
    const r = cnnp("check", bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error[E126]: these experiments wait on each other's answers: "A" -> "B" -> "A"`);
    expect(r.err).toContain(`--> ${bad}:4:10`);
    expect(r.err).toContain(`error[E124]: no experiment is called "D"`);
    expect(r.err).toContain(`--> ${bad}:12:30`);
  });
  it("a job that does not train here does not stop the jobs an answer unlocks, and is not tried again in the same command", () => {
    // "3." asks for a back end that is not installed here (tfjs-node-gpu is optional and not in
    // package.json), so its job is not available on every machine CI runs on.
    const {
      file: mixed,
      out,
      run,
    } = trainPipeline(
      "mixed",
      `learning_rate 0.05

experiment "1. Early stopping" {
  repeat 2
  epochs 3
  validation_split 0.25
  find best epoch by val.loss
}

experiment "2. Final" {
  sweep epochs [from "1."]
}

experiment "3. Elsewhere" {
  backend tensorflow-gpu
}
`,
    );
    expect(run.code, run.err).toBe(1);
    expect(run.err).toMatch(/answers now known: epochs \d+ from "1\. Early stopping"/);
    expect(
      run.out.match(
        /3\. Elsewhere · small: not available on \S+: @tensorflow\/tfjs-node-gpu is not installed/g,
      ),
    ).toHaveLength(1);

    const status = JSON.parse(cnnp("status", mixed, "--results", out, "--json").out);
    expect(
      status.experiments.map((e: { done: number; failed: number; unavailable: number }) => [
        e.done,
        e.failed,
        e.unavailable,
      ]),
    ).toEqual([
      [2, 0, 0],
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(status.total).toMatchObject({ jobs: 4, done: 3, failed: 0, unavailable: 1, missing: 0 });
    expect(status.failures).toEqual([
      expect.objectContaining({
        experiment: "3. Elsewhere",
        error: expect.stringContaining("tfjs-node-gpu"),
        unavailable: true,
      }),
    ]);
    const text = cnnp("status", mixed, "--results", out).out;
    expect(text).toContain(
      "all: 3 of 4 jobs done, 0 failed, 1 not available on the hosts that tried them, 0 invalid, 0 missing",
    );
    expect(text).toMatch(/^1\. Early stopping /m);
  });
  it("trains a run kept back for an answer that never comes, for the jobs it has", () => {
    // The answer's experiment does not train here (a back end that is not installed), so "2." waits for good.
    const {
      file: lost,
      out,
      run,
    } = trainPipeline(
      "lost",
      `
experiment "1. Elsewhere" {
  backend tensorflow-gpu
  epochs 2
  validation_split 0.25
  find best epoch by val.loss
}

experiment "2. Final" {
  sweep epochs [1, from "1."]
}
`,
    );
    expect(run.code, run.err).toBe(1);
    expect(run.err).toContain("1 run kept back until the answers that jobs sharing them wait for are known");
    expect(run.err).toContain("training the 1 run kept back for the jobs that wait, without them");
    const status = JSON.parse(cnnp("status", lost, "--results", out, "--json").out);
    expect(
      status.experiments.map((e: { done: number; unavailable: number; waiting: number }) => [
        e.done,
        e.unavailable,
        e.waiting,
      ]),
    ).toEqual([
      [0, 1, 0],
      [1, 0, 1],
    ]);
  });
});
