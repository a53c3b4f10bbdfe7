import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exitWithin, killAll, redisServer, start, tinyPipeline, until } from "./servers.js";

/**
 * Finding 4 of issue 25: with Redis gone, `cnnp run --queue` ignored a single Ctrl-C or SIGTERM
 * (still alive after 60 s). One signal stops every process within seconds, Redis or no Redis; a
 * second stops it at once.
 */
const dir = mkdtempSync(join(tmpdir(), "cnnp-signals-"));
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

/** A coordinator waiting for workers on a Redis that was then killed, after it noticed. */
async function strandedCoordinator(seed: number) {
  const redis = await redisServer();
  const file = tinyPipeline(dir, `stranded-${seed}.cnnp`, seed);
  const coordinator = start(
    ["run", file, "--queue", `redis://127.0.0.1:${redis.port}`, "--results", `r${seed}`],
    dir,
  );
  await until(
    () => coordinator.log.err.includes("training 1 job"),
    60_000,
    "the coordinator to queue its run",
  );
  redis.server.kill("SIGKILL");
  // Its next look at the queue (every 5 s) finds Redis gone, and waits on it.
  await until(() => coordinator.log.err.includes("lost touch with the queue"), 30_000, "the outage to show");
  return coordinator;
}

describe("stopping the coordinator with Redis gone", { timeout: 120_000 }, () => {
  it("one SIGTERM stops it within seconds (exit 143), its runs left on the queue", async () => {
    const coordinator = await strandedCoordinator(1);
    const sent = Date.now();
    coordinator.kill("SIGTERM");
    expect(await exitWithin(coordinator, 10_000), coordinator.log.err).toBe(143);
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(coordinator.log.err).toMatch(/interrupted \(SIGTERM\): 0 of 1 jobs done.*stay on the queue/);
  });

  it("SIGTERM then Ctrl-C stops it at once (exit 130)", async () => {
    const coordinator = await strandedCoordinator(2);
    coordinator.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    const sent = Date.now();
    coordinator.kill("SIGINT");
    expect(await exitWithin(coordinator, 5_000), coordinator.log.err).toBe(130);
    expect(Date.now() - sent).toBeLessThan(1_500);
  });
});

describe("stopping a worker with a run in flight and Redis gone", { timeout: 180_000 }, () => {
  it("one SIGTERM stops it and its training process within seconds (exit 0)", async () => {
    const redis = await redisServer();
    const url = `redis://127.0.0.1:${redis.port}`;
    // A run of a minute or more: the worker is in the middle of it when Redis goes.
    writeFileSync(
      join(dir, "long.cnnp"),
      'data fashion_mnist train 3000 test 500\nepochs 60\nmodel m = conv32 pool conv32 pool dense128 dense10\nexperiment "Long" {}\n',
    );
    const worker = start(["worker", "--queue", url], dir);
    await until(() => worker.log.err.includes("waiting for runs"), 60_000, "the worker");
    const coordinator = start(["run", "long.cnnp", "--queue", url, "--results", "long"], dir);
    await until(() => /\(try 1\)/.test(worker.log.err), 60_000, "the worker to take the run");
    // Its training process, training.
    const trainers = () => {
      try {
        return execFileSync("pgrep", ["-P", `${worker.pid}`], { encoding: "utf8" })
          .trim()
          .split("\n");
      } catch {
        return []; // none (yet): pgrep exits 1
      }
    };
    await until(() => trainers().length > 0, 30_000, "the training process");
    const children = trainers().map(Number);
    await new Promise((r) => setTimeout(r, 2_000));
    redis.server.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    const sent = Date.now();
    worker.kill("SIGTERM");
    expect(await exitWithin(worker, 12_000), worker.log.err).toBe(0);
    expect(Date.now() - sent).toBeLessThan(12_000);
    expect(worker.log.err).toContain("stopping the runs in flight now");
    expect(worker.log.err).not.toMatch(/: done in/);
    // Its training process went with it.
    await until(
      () =>
        children.every((pid) => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        }),
      5_000,
      "the training process to end",
    );
    coordinator.kill("SIGTERM");
    expect(await exitWithin(coordinator, 10_000)).toBe(143);
  });
});
