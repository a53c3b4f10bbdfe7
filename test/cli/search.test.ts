import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import type { Study } from "../../src/report/schema.js";
import { cnnp } from "../helpers/cli.js";

/** Searches through `cnnp run`: every candidate trained once, resumed where they stopped. */
const dir = join("test", ".tmp", `search-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pipeline(name: string, search: string, repeat = 1): string {
  const file = join(dir, `${name}.cnnp`);
  writeFileSync(
    file,
    `data fashion_mnist train 256 test 100\nepochs 1\nexperiment "Tuning" {\n  model conv4 pool dense10\n  repeat ${repeat}\n  sweep learning_rate log [0.001..0.5]\n  sweep momentum [0..0.95]\n  ${search}\n}\n`,
  );
  return file;
}

const jobFiles = (folder: string) =>
  existsSync(join(folder, "jobs"))
    ? readdirSync(join(folder, "jobs")).filter((f) => f.endsWith(".json"))
    : [];

/** Each result's candidate: its configuration in the experiment. */
const candidates = (folder: string) =>
  jobFiles(folder).map(
    (f) =>
      (JSON.parse(readFileSync(join(folder, "jobs", f), "utf8")) as { configuration: number }).configuration,
  );

describe("cnnp run with a search", { timeout: 300_000 }, () => {
  it("trains a random search of 6 candidates x 2 repeats as 12 jobs, and nothing on a second run", () => {
    const file = pipeline("random", "search random 6 by test.accuracy", 2);
    const folder = join(dir, "random");
    const first = cnnp("run", file, "--workers", "1", "--results", folder);
    expect(first.code, first.err).toBe(0);
    expect(jobFiles(folder)).toHaveLength(12);
    expect(new Set(candidates(folder)).size).toBe(6);
    const again = cnnp("run", file, "--workers", "1", "--results", folder);
    expect(again.code).toBe(0);
    expect(again.err).toContain("12 of 12 jobs done (12 from earlier runs)");
    expect(jobFiles(folder)).toHaveLength(12);
  });

  it("proposes the same TPE candidates in two plans of the same results", () => {
    const text = readFileSync(pipeline("plans", "search tpe 14 by test.accuracy"), "utf8");
    const scores = Array.from({ length: 10 }, (_, i) => -((i * 7) % 10) / 10);
    const planned = () =>
      compile(
        text,
        "t.cnnp",
        new Map(),
        new Map([["Tuning", scores]]),
      ).pipeline?.experiments[0]?.configurations.map((c) => c.values);
    expect(planned()).toHaveLength(14);
    expect(planned()).toEqual(planned());
    // Other results, other proposals; the random start stays.
    const other = compile(
      text,
      "t.cnnp",
      new Map(),
      new Map([["Tuning", scores.map((s) => -s)]]),
    ).pipeline?.experiments[0]?.configurations.map((c) => c.values);
    expect(other?.slice(0, 10)).toEqual(planned()?.slice(0, 10));
    expect(other?.slice(10)).not.toEqual(planned()?.slice(10));
  });

  it("trains a TPE search to its end, and when killed mid-way resumes without repeating a candidate", async () => {
    const file = pipeline("tpe", "search tpe 14 by test.accuracy");
    const folder = join(dir, "tpe");
    const child: ChildProcess = spawn(
      process.execPath,
      ["dist/cli/main.js", "run", file, "--workers", "1", "--results", folder],
      { stdio: "ignore", env: { ...process.env, NO_COLOR: "1" } },
    );
    const deadline = Date.now() + 120_000;
    while (jobFiles(folder).length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("close", r)));
    const kept = jobFiles(folder).length;
    expect(kept).toBeGreaterThanOrEqual(5);
    expect(kept).toBeLessThan(14);
    const rest = cnnp("run", file, "--workers", "1", "--results", folder);
    expect(rest.code, rest.err).toBe(0);
    // The random start finished first, then TPE's batch proposed from it.
    expect(rest.err).toContain(`10 of 10 jobs done (${kept} from earlier runs)`);
    expect(rest.err).toContain("14 of 14 jobs done (10 from earlier runs)");
    expect(rest.err).toContain('search: "Tuning" has 14 of its 14 candidates');
    expect(jobFiles(folder)).toHaveLength(14);
    expect(new Set(candidates(folder)).size).toBe(14);
  });
});

describe("a search's report and answers", { timeout: 300_000 }, () => {
  it("ranks the candidates best first, compares the winner with the others, and gives its settings to a later experiment", () => {
    const file = join(dir, "answers.cnnp");
    writeFileSync(
      file,
      `data fashion_mnist train 256 test 100\nepochs 1\nmodel m = conv4 pool dense10\nexperiment "Tuning" {\n  repeat 2\n  sweep learning_rate log [0.001..0.5]\n  sweep momentum [0..0.95]\n  search random 5 by test.accuracy\n}\nexperiment "Then" {\n  learning_rate from "Tuning"\n  momentum from "Tuning"\n}\n`,
    );
    const folder = join(dir, "answers");
    const run = cnnp("run", file, "--workers", "1", "--results", folder);
    expect(run.code, run.err).toBe(0);
    expect(run.err).toContain("answers now known: learning_rate");
    const json = cnnp("results", file, "--results", folder, "--json");
    expect(json.code, json.err).toBe(0);
    const study = JSON.parse(json.out) as Study;
    const [tuning, then] = study.experiments;
    const s = tuning?.search;
    if (!s || !then) throw new Error("no search in the report");
    // The means from the result files themselves, by candidate.
    const byCandidate = new Map<number, number[]>();
    for (const f of jobFiles(folder)) {
      const r = JSON.parse(readFileSync(join(folder, "jobs", f), "utf8"));
      if (r.experiment !== 1) continue;
      byCandidate.set(r.configuration, [...(byCandidate.get(r.configuration) ?? []), r.test.accuracy]);
    }
    const means = [...byCandidate].map(([c, xs]) => ({ c, mean: xs.reduce((a, b) => a + b) / xs.length }));
    means.sort((a, b) => b.mean - a.mean || a.c - b.c);
    expect(s.candidates.map((c) => c.row)).toEqual(means.map((m) => m.c));
    expect(s.candidates.map((c) => c.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(s.candidates[0]?.metric?.mean).toBeCloseTo(means[0]?.mean ?? -1, 12);
    expect(s.winner).toBe(means[0]?.c);
    // The best so far never falls and ends at the winner's mean.
    const bests = s.bestSoFar.map((b) => b.best);
    for (let i = 1; i < bests.length; i++) expect(bests[i]).toBeGreaterThanOrEqual(bests[i - 1] ?? 1);
    expect(bests[bests.length - 1]).toBe(means[0]?.mean);
    expect(s.vsRunnerUp?.row).toBe(means[1]?.c);
    expect(s.vsRunnerUp?.comparisons).toBe(4);
    expect(s.vsRunnerUp?.difference).toBeCloseTo((means[0]?.mean ?? 0) - (means[1]?.mean ?? 0), 12);
    // The conclusion names the winner; the later experiment took its settings.
    const winner = s.candidates[0];
    expect(tuning?.headline).toContain(`the best by test accuracy (higher is better) is ${winner?.label}`);
    expect(then.uses.map((u) => [u.name, u.value])).toEqual([
      ["learning_rate", winner?.values.learning_rate],
      ["momentum", winner?.values.momentum],
    ]);
    expect(tuning?.charts.map((c) => c.kind)).toEqual([
      "search-progress",
      "search-setting",
      "search-setting",
      "search-parallel",
    ]);
    // The implied answers are the winner, not questions of their own on the page.
    expect(tuning?.answers).toEqual([]);
  });
});
