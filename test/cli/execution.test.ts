import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, hostname } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cpuName } from "../../src/train/environment.js";
import { cnnp } from "../helpers/cli.js";

/** What `cnnp run` trains for a selection, and what the other commands then find, from the CLI. */
const dir = join("test", ".tmp", `execution-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, "shared.cnnp");
// "Short" needs 2 epochs of the run that "Long" sweeps to 3: one shared run per repeat.
writeFileSync(
  file,
  `data fashion_mnist train 128 test 64
model small = conv4 pool flatten dense8 dense10
experiment "Short" { epochs 2 }
experiment "Long" { sweep epochs [1, 2, 3] }
experiment "Wide" { maps 8 }
`,
);

const statusOf = (results: string, ...flags: string[]) => {
  const r = cnnp("status", file, "--results", results, "--json", ...flags);
  expect(r.code).toBe(0);
  return JSON.parse(r.out).experiments as { title: string; done: number; missing: number }[];
};

describe("cnnp run --only", { timeout: 120_000 }, () => {
  it("trains a shared run no further than the selection needs, and keeps every job that run served", () => {
    const results = join(dir, "only");
    const dry = cnnp("run", file, "--only", "Short", "--results", results, "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/^run [0-9a-f]{12} · small · seed 1 · 2 epochs\n/);
    expect(dry.out).toContain("  Short · small (the same job serves Long) · 2 epochs\n");
    expect(dry.out).toContain("  Long · epochs 1 · 1 epoch\n");

    const run = cnnp("run", file, "--only", "Short", "--results", results, "--json", "--workers", "1");
    expect(run.code).toBe(0);
    const files = run.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { epochs: number; epochsTrained: number; history: unknown[] });
    expect(files.map((f) => f.epochs).sort()).toEqual([1, 2]);
    expect(files.map((f) => f.history.length).sort()).toEqual([1, 2]);
    expect(statusOf(results)).toMatchObject([
      { title: "Short", done: 1, missing: 0 },
      { title: "Long", done: 2, missing: 1 },
      { title: "Wide", done: 0, missing: 1 },
    ]);
    // The rest of "Long" is its 3-epoch job alone.
    const rest = cnnp("run", file, "--only", "Long", "--results", results, "--dry-run");
    expect(rest.out).toMatch(/· 3 epochs\n {2}Long · epochs 3 · 3 epochs\n$/);
  });
});

describe("cnnp status, results and site after cnnp run --backend", { timeout: 120_000 }, () => {
  it("find the results with no flag repeated, from what cnnp run recorded in the folder", () => {
    const results = join(dir, "backend");
    expect(cnnp("run", file, "--only", "Short", "--results", results, "--backend", "wasm").code).toBe(0);
    expect(statusOf(results)[0]).toMatchObject({ title: "Short", done: 1, missing: 0 });
    // An explicit flag still means what it says: no cpu results here.
    expect(statusOf(results, "--backend", "cpu")[0]).toMatchObject({ title: "Short", done: 0, missing: 1 });
    const report = cnnp("results", file, "--results", results, "--json");
    expect(report.code).toBe(0);
    const short = JSON.parse(report.out).experiments[0];
    expect(short.title).toBe("Short");
    expect(short.status).toMatchObject({ ok: 1, missing: 0 });
    expect(short.rows[0]).toMatchObject({ ok: 1, missing: 0, backends: ["wasm"] });
    expect(short.rows[0].metrics["test.accuracy"].n).toBe(1);
    // Each row names the machines by their hardware as well as their name.
    expect(short.rows[0].hosts).toEqual([`${hostname()} (${cpuName()}, ${cpus().length} cores)`]);
    expect(JSON.parse(report.out).environment.backends.map((b: { name: string }) => b.name)).toEqual([
      "wasm",
    ]);

    // A second run, of another experiment, under the pipeline's own back end: both are found.
    expect(cnnp("run", file, "--only", "Wide", "--results", results, "--workers", "1").code).toBe(0);
    expect(statusOf(results)).toMatchObject([
      { title: "Short", done: 1, missing: 0 },
      { title: "Long", done: 2, missing: 1 },
      { title: "Wide", done: 1, missing: 0 },
    ]);
    const both = JSON.parse(cnnp("results", file, "--results", results, "--json").out);
    expect(both.status).toMatchObject({ jobs: 4, ok: 3, missing: 1 });
    const names = both.environment.backends.map((b: { name: string }) => b.name);
    expect(names).toContain("wasm");
    expect(names).toHaveLength(2);
  });
});

describe("cnnp run outside a terminal", { timeout: 120_000 }, () => {
  it("prints a progress line with jobs, steps, elapsed time, ETA and each run's epoch at the interval asked", () => {
    const slow = join(dir, "slow.cnnp");
    writeFileSync(
      slow,
      "data fashion_mnist train 4096 test 64\nmodel conv32 pool conv32 pool dense128 dense10\nepochs 3\n",
    );
    const r = cnnp("run", slow, "--results", join(dir, "slow"), "--workers", "1", "--progress", "1");
    expect(r.code).toBe(0);
    const lines = r.err.split("\n").filter((l) => l.startsWith("progress: "));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.at(-1)).toMatch(
      /^progress: 0 of 1 jobs done · [\d,]+ of 384 steps \(\d+%\) · (\d+m)?\d+s elapsed · ETA (\d+h\d+m|(\d+m)?\d+s|…) · worker 1 · slow · .+: epoch \d\/3$/,
    );
  });
});
