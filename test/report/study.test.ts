import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { study } from "../../src/report/schema.js";

const empty = mkdtempSync(join(tmpdir(), "cnnp-no-results-"));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe("the study's report before anything ran", () => {
  it("reports every experiment of the study as missing, with a template for each kind", () => {
    const r = spawnSync(
      process.execPath,
      ["dist/cli/main.js", "results", "pipelines/fashion-mnist-study.cnnp", "--results", empty, "--json"],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    const s = study.parse(JSON.parse(r.stdout));
    expect(s.experiments).toHaveLength(12);
    expect(s.status).toEqual({ jobs: 177, ok: 0, failed: 0, missing: 177 });
    expect(new Set(s.experiments.map((e) => e.kind))).toEqual(
      new Set(["platforms", "repeatability", "sweep", "ablation", "epochs", "early-stopping"]),
    );
    for (const e of s.experiments) {
      expect(e.status.missing).toBe(e.status.jobs);
      expect(e.conclusion).toMatch(/(There are no results yet|No back end has results yet)/);
      expect(e.rows.every((row) => row.ok === 0 && Object.keys(row.metrics).length === 0)).toBe(true);
    }
  });
});
