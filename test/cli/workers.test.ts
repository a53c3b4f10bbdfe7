import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { OkResult } from "../../src/store/schema.js";
import { ResultStore } from "../../src/store/store.js";
import { cnnp } from "../helpers/cli.js";
import { byJob } from "../helpers/metrics.js";

/** `cnnp run --workers`, claims shared by two runs, --dry-run, signals and dying workers. */
const dir = join("test", ".tmp", `workers-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pipeline(name: string, repeat: number, train = 512): string {
  const file = join(dir, `${name}.cnnp`);
  writeFileSync(
    file,
    `data fashion_mnist train ${train} test 200\nepochs 2\nrepeat ${repeat}\nmodel small = conv8 pool flatten dense16 dense10\nexperiment "Seeds" {}\n`,
  );
  return file;
}

function start(...args: string[]): ChildProcess & { log: { out: string; err: string } } {
  const child = spawn(process.execPath, ["dist/cli/main.js", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  }) as ChildProcess & { log: { out: string; err: string } };
  child.log = { out: "", err: "" };
  child.stdout?.on("data", (d) => {
    child.log.out += d;
  });
  child.stderr?.on("data", (d) => {
    child.log.err += d;
  });
  return child;
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((r) =>
    c.exitCode !== null ? r(c.exitCode) : c.once("close", (code) => r(code)),
  );

async function until(what: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

function results(folder: string): OkResult[] {
  const jobs = join(folder, "jobs");
  if (!existsSync(jobs)) return [];
  const store = new ResultStore(folder);
  return readdirSync(jobs)
    .filter((f) => f.endsWith(".json"))
    .map((f) => {
      const s = store.read(f.replace(/\.json$/, ""));
      if (s.kind !== "valid" || s.result.status !== "ok") throw new Error(`${f}: ${JSON.stringify(s)}`);
      return s.result;
    });
}

/** Processes whose parent is `pid` (Linux). */
function children(pid: number): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("cnnp run --workers", { timeout: 240_000 }, () => {
  it("trains on two worker processes with the same numbers as one", () => {
    const file = pipeline("four", 4);
    const one = cnnp("run", file, "--workers", "1", "--results", join(dir, "one"));
    const two = cnnp("run", file, "--workers", "2", "--results", join(dir, "two"));
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(one.err).toContain("on 1 worker process;");
    expect(two.err).toContain("on 2 worker processes;");
    expect(two.out.trim().split("\n").sort()).toHaveLength(4);
    for (let i = 1; i <= 4; i++) expect(two.out).toContain(`Seeds · small · repeat ${i}/4: test loss`);
    const a = byJob(results(join(dir, "one")));
    expect(a).toHaveLength(4);
    expect(byJob(results(join(dir, "two")))).toEqual(a);
  });

  it("says what it would train with --dry-run, and trains nothing", () => {
    const file = pipeline("four", 4);
    const folder = join(dir, "dry");
    const r = cnnp("run", file, "--dry-run", "--workers", "3", "--results", folder);
    expect(r.code).toBe(0);
    expect(r.out.match(/^run [0-9a-f]{12} · small · seed \d · 2 epochs$/gm)).toHaveLength(4);
    expect(r.out).toContain("  Seeds · small · repeat 4/4 · 2 epochs");
    expect(r.err).toContain(
      "dry run: would train 4 jobs in 4 runs (8 epochs, 128 steps) on 3 worker processes; 0 of 4 jobs done before",
    );
    expect(existsSync(join(folder, "jobs"))).toBe(false);
    const bad = cnnp("run", file, "--workers", "0", "--results", folder);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('error: --workers takes a whole number from 1 to 256 (got "0")');
  });

  it("shares one results folder between two cnnp runs at once: each job trained once", async () => {
    const file = pipeline("six", 6);
    const folder = join(dir, "shared");
    const a = start("run", file, "--workers", "1", "--results", folder);
    const b = start("run", file, "--workers", "1", "--results", folder);
    expect(await exited(a)).toBe(0);
    expect(await exited(b)).toBe(0);
    const lines = [...a.log.out.trim().split("\n"), ...b.log.out.trim().split("\n")];
    expect(lines).toHaveLength(12);
    // Each job once trained by one of them, and reported by the other as done elsewhere or before.
    const trained = lines.filter((l) => !/: done (by another cnnp run|before): /.test(l));
    expect(trained).toHaveLength(6);
    for (let i = 1; i <= 6; i++) expect(trained.filter((l) => l.includes(`repeat ${i}/6:`))).toHaveLength(1);
    expect(results(folder)).toHaveLength(6);
    expect(readdirSync(join(folder, "claims"))).toEqual([]);
    expect(a.log.err).toContain("6 of 6 jobs done");
    expect(b.log.err).toContain("6 of 6 jobs done");
  });

  it("stops on SIGTERM, keeps what finished, and goes on next time", async () => {
    const file = pipeline("term", 4, 2000);
    const folder = join(dir, "term");
    const c = start("run", file, "--workers", "1", "--results", folder);
    await until(() => results(folder).length >= 1);
    c.kill("SIGTERM");
    expect(await exited(c)).toBe(143);
    expect(c.log.err).toMatch(
      /interrupted \(SIGTERM\): \d of 4 jobs done, 0 failed; the jobs in flight are lost/,
    );
    const kept = results(folder).length;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(4);
    expect(readdirSync(join(folder, "claims"))).toEqual([]);
    expect(readdirSync(join(folder, "jobs")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    await until(() => children(c.pid as number).length === 0, 5000);
    const again = cnnp("run", file, "--workers", "1", "--results", folder);
    expect(again.code).toBe(0);
    expect(again.err).toContain(`4 of 4 jobs done (${kept} from earlier runs)`);
  });

  it("records the jobs of a worker that dies as failed, and the others go on", async () => {
    const file = pipeline("crash", 3, 2000);
    const folder = join(dir, "crash");
    const c = start("run", file, "--workers", "1", "--results", folder);
    await until(() => results(folder).length >= 1);
    const [worker] = children(c.pid as number);
    expect(worker).toBeDefined();
    process.kill(worker as number, "SIGKILL");
    expect(await exited(c)).toBe(1);
    expect(c.log.out).toMatch(/: FAILED: the worker process was killed by SIGKILL \(out of memory\?\)/);
    expect(c.log.err).toContain("2 of 3 jobs done (0 from earlier runs), 1 failed");
    const again = cnnp("run", file, "--workers", "1", "--results", folder);
    expect(again.code).toBe(0);
    expect(again.out.match(/: done before: /g)).toHaveLength(2);
    expect(again.err).toContain("3 of 3 jobs done (2 from earlier runs)");
  });
});
