import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ResultStore } from "../../src/store/store.js";

const dir = join("test", ".tmp", `resume-kill-${process.pid}`);
const file = join(dir, "four.cnnp");
const results = join(dir, "results");

function jsonFiles(): string[] {
  const jobs = join(results, "jobs");
  return existsSync(jobs) ? readdirSync(jobs).filter((f) => f.endsWith(".json")) : [];
}

describe("resume after kill -9", { timeout: 180_000 }, () => {
  it("loses at most the job in flight: every job ends with one valid file, none trained twice", async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      file,
      `data fashion_mnist train 512 test 200\nepochs 2\nrepeat 5\nmodel small = conv8 pool flatten dense16 dense10\nexperiment "Five seeds" {}\n`,
    );
    const child = spawn(process.execPath, ["dist/cli/main.js", "run", file, "--results", results], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const deadline = Date.now() + 120_000;
    while (jsonFiles().length === 0 && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    // "exit" has been emitted already if the run ended before the kill: do not wait for it then.
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once("exit", r));
    const before = jsonFiles();
    expect(before.length).toBeGreaterThanOrEqual(1);
    expect(before.length).toBeLessThan(5);
    const contents = new Map(before.map((f) => [f, readFileSync(join(results, "jobs", f), "utf8")]));

    const again = spawnSync(process.execPath, ["dist/cli/main.js", "run", file, "--results", results], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
      // Five small jobs take seconds: a run still going after two minutes is stuck, and says why.
      timeout: 120_000,
    });
    expect(again.status, again.stderr).toBe(0);
    const lines = again.stdout.trim().split("\n");
    expect(lines.filter((l) => l.includes(": done before: "))).toHaveLength(before.length);
    expect(lines).toHaveLength(5);
    expect(again.stderr).toContain(`5 of 5 jobs done (${before.length} from earlier runs)`);
    // Exactly one valid file per job; the files finished before the kill were not rewritten.
    const after = jsonFiles();
    expect(after).toHaveLength(5);
    const store = new ResultStore(results);
    for (const f of after) expect(store.read(f.replace(/\.json$/, "")).kind).toBe("valid");
    for (const [f, text] of contents) expect(readFileSync(join(results, "jobs", f), "utf8")).toBe(text);
    rmSync(dir, { recursive: true, force: true });
  });
});
