import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

/** Runs the built CLI as a user would (npm test builds it first). */
function cnnp(...args: string[]) {
  const r = spawnSync(process.execPath, ["dist/cli/main.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("cnnp check", () => {
  it("exits 0 on clean files", () => {
    const r = cnnp("check", "pipelines/quick.cnnp", "pipelines/fashion-mnist-study.cnnp");
    expect(r.code).toBe(0);
    expect(r.out).toContain("pipelines/quick.cnnp: ok (4 experiments");
  });

  it("exits 1 with diagnostics: code, file:line:col, the line, carets and a hint", () => {
    const r = cnnp("check", "test/fixtures/mistakes.cnnp");
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error[E102]: unknown layer 'cnv32'
  --> test/fixtures/mistakes.cnnp:4:14
  > 4 | model typo = cnv32 dense10                        # E102 unknown layer
      |              ^^^^^
  = hint: did you mean 'conv32'?`);
    expect(r.err).toContain("test/fixtures/mistakes.cnnp: 28 errors");
    expect(r.err).not.toMatch(/at .*\.js:\d+/);
  });

  it("exits 2 for usage errors and unreadable files, without a stack trace", () => {
    expect(cnnp("check").code).toBe(2);
    expect(cnnp("frobnicate").code).toBe(2);
    const missing = cnnp("check", "no/such.cnnp");
    expect(missing.code).toBe(2);
    expect(missing.err).toBe("error: cannot read no/such.cnnp: no such file\n");
  });
});

describe("cnnp plan", () => {
  it("--json gives the experiments and the models' parameter counts", () => {
    const r = cnnp("plan", "pipelines/fashion-mnist-study.cnnp", "--json");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out) as {
      experiments: { name: string; configurations: number; jobs: number }[];
      models: {
        name: string;
        totalParams: number;
        layers: { type: string; outputShape: number[]; params: number }[];
      }[];
    };
    expect(plan.experiments).toHaveLength(12);
    expect(plan.experiments[1]).toMatchObject({ name: "2. Repeatability", configurations: 2, jobs: 20 });
    expect(plan.models.find((m) => m.name === "main")?.totalParams).toBe(113386);
    expect(plan.models.find((m) => m.name === "final")?.totalParams).toBe(600810);
  });

  it("prints the saving from shared runs", () => {
    const r = cnnp("plan", "pipelines/fashion-mnist-study.cnnp");
    expect(r.out).toMatch(/epochs to train: 2,080 in 149 runs \(naive: 2,665; shared runs save 22%\)/);
  });
});
