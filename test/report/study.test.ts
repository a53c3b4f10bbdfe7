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
    // 7. Final model's row for the epoch count 6.2 finds waits for it: 5 jobs not planned yet.
    expect(s.status).toEqual({ jobs: 172, ok: 0, failed: 0, unavailable: 0, missing: 172, waiting: 5 });
    const final = s.experiments.find((e) => e.title === "7. Final model");
    expect(final?.status).toMatchObject({ jobs: 10, waiting: 5 });
    expect(final?.rows.map((r) => r.waiting)).toEqual([false, true, false]);
    // Its sweep is of (model, epochs) pairs: each model named once in what varied (it said
    // main, final, final); the epoch count 6.2 finds is named by where it comes from.
    expect(final?.varied).toEqual([
      { name: "model", values: ["main", "final"] },
      { name: "epochs", values: ["5", 'from "6.2 Early stopping on held-out validation data"', "25"] },
    ]);
    expect(final?.uses[0]?.text).toBe(
      'epochs from "6.2 Early stopping on held-out validation data" (find best epoch by val.loss): no answer yet (no validation loss recorded per epoch yet); its configurations wait',
    );
    // A boolean sweep in the pipeline's words: on and off, as the rows' labels have them.
    const repeatability = s.experiments.find((e) => e.title === "2. Repeatability");
    expect(repeatability?.varied).toEqual([{ name: "shuffle", values: ["on", "off"] }]);
    expect(repeatability?.rows.map((r) => r.label)).toEqual(["shuffle on", "shuffle off"]);
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
