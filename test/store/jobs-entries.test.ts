import { execFileSync, spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { plan } from "../../src/plan/plan.js";
import type { OkResult } from "../../src/store/schema.js";
import { maxResultBytes, ResultStore } from "../../src/store/store.js";

/**
 * Finding 10 of issue 25 (its jobs/ part): a FIFO in the results folder's jobs/ hung `cnnp status`,
 * and a symbolic link there to /dev/zero was read until it took 8.6 GB. An entry that is not a
 * regular file is skipped, with its path and what it is, and never read; nor is a file too big to
 * be a result.
 */
const dir = mkdtempSync(join(tmpdir(), "cnnp-entries-"));
const results = join(dir, "results");
const store = new ResultStore(results);
const cli = resolve("dist/cli/main.js");
let socket: Server | undefined;
afterAll(() => {
  socket?.close();
  rmSync(dir, { recursive: true, force: true });
});

const pipeline = join(dir, "p.cnnp");
writeFileSync(
  pipeline,
  'data fashion_mnist\nepochs 5\nmodel m = conv4 pool dense10\nexperiment "E" {\n  repeat 7\n}\n',
);
const c = compile(readFileSync(pipeline, "utf8"), pipeline);
if (!c.pipeline) throw new Error("the test pipeline does not compile");
const jobs = plan(c.pipeline).experiments[0]?.jobs ?? [];

/** A real result (from the committed study) under the identity of one of this plan's jobs. */
function resultFor(repeat: number): OkResult {
  const folder = join("studies", "fashion-mnist", "results", "jobs");
  const real = readdirSync(folder)
    .map((f) => JSON.parse(readFileSync(join(folder, f), "utf8")) as OkResult)
    .find((r) => r.status === "ok" && r.epochsTrained === 5 && r.epochs === 5) as OkResult | undefined;
  const j = jobs[repeat];
  if (!real || !j) throw new Error("no result to copy");
  return { ...real, job: j.id, run: j.run, seed: j.seed, epochs: j.epochs, repeat: j.repeat };
}

beforeAll(async () => {
  expect(jobs).toHaveLength(7);
  mkdirSync(store.jobsDir, { recursive: true });
  const at = (repeat: number) => store.path((jobs[repeat] as { id: string }).id);
  execFileSync("mkfifo", [at(0)]);
  symlinkSync("/dev/zero", at(1));
  mkdirSync(at(2));
  writeFileSync(at(3), " ".repeat(maxResultBytes + 1));
  // A link to a valid result is skipped too: jobs/ holds the files cnnp wrote, nothing else.
  writeFileSync(join(dir, "elsewhere.json"), JSON.stringify(resultFor(4)));
  symlinkSync(join(dir, "elsewhere.json"), at(4));
  socket = createServer();
  await new Promise<void>((r) => socket?.listen(at(5), r));
  writeFileSync(at(6), JSON.stringify(resultFor(6)));
});

describe("entries of jobs/ that are not regular result files", () => {
  it("are read as invalid, saying what they are, without being opened or read past the cap", () => {
    const why = jobs.map((j) => {
      const s = store.read(j.id);
      return s.kind === "invalid" ? `${s.path === store.path(j.id)} ${s.why}` : s.kind;
    });
    expect(why).toEqual([
      "true a FIFO (named pipe), not a regular file: skipped, never read",
      "true a symbolic link, not a regular file: skipped, never read",
      "true a folder, not a regular file: skipped, never read",
      `true ${maxResultBytes + 1} bytes, more than cnnp writes there (at most ${maxResultBytes}): not read`,
      "true a symbolic link, not a regular file: skipped, never read",
      "true a socket, not a regular file: skipped, never read",
      "valid",
    ]);
  });

  it("do not hang cnnp status or make it read /dev/zero: it ends at once and counts them invalid; cnnp results names each path", () => {
    const started = Date.now();
    const status = spawnSync(process.execPath, [cli, "status", pipeline, "--results", results], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(status.signal, "cnnp status was killed: it hung").toBeNull();
    expect(status.status, status.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(status.stdout).toContain("all: 1 of 7 jobs done, 0 failed, 6 invalid, 0 missing");
    const report = spawnSync(process.execPath, [cli, "results", pipeline, "--results", results], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(report.signal).toBeNull();
    for (const [i, what] of [
      "a FIFO (named pipe)",
      "a symbolic link",
      "a folder",
      "a symbolic link",
      "a socket",
    ].entries()) {
      const repeat = [0, 1, 2, 4, 5][i] as number;
      expect(report.stderr).toContain(
        `${store.path((jobs[repeat] as { id: string }).id)}: not a valid result (${what}, not a regular file: skipped, never read)`,
      );
    }
  });
});
