import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startRedis } from "../helpers/redis-server.js";

/**
 * `cnnp worker` stops when asked even when its Redis is gone: BullMQ's close waits on Redis, so a
 * worker that awaited it would ignore Ctrl-C for ever. Idle here: no run is in flight.
 */
const cli = resolve("dist/cli/main.js");
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

interface Worker {
  child: ChildProcess;
  log(): string;
  /** Resolves with the exit code (or the signal), or "still running" after `ms`. */
  exit(ms: number): Promise<number | string | null>;
}

async function idleWorker(redisGone: boolean): Promise<Worker> {
  const redis = await startRedis();
  children.push(redis.server);
  const child = spawn(process.execPath, [cli, "worker", "--queue", redis.url], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  children.push(child);
  let log = "";
  child.stdout?.on("data", (d) => {
    log += d;
  });
  child.stderr?.on("data", (d) => {
    log += d;
  });
  const gone = new Promise<number | string | null>((r) => child.once("exit", (code, sig) => r(code ?? sig)));
  const deadline = Date.now() + 60_000;
  while (!log.includes("waiting for runs")) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`cnnp worker did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (redisGone) {
    redis.server.kill("SIGKILL");
    await new Promise((r) => redis.server.once("exit", r));
    // Long enough for the worker's connections to notice.
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    child,
    log: () => log,
    exit: (ms) =>
      Promise.race([gone, new Promise<string>((r) => setTimeout(() => r("still running"), ms).unref())]),
  };
}

describe("stopping an idle cnnp worker", { timeout: 90_000 }, () => {
  it("with Redis there: one SIGTERM stops it at once (exit 0)", async () => {
    const w = await idleWorker(false);
    const sent = Date.now();
    w.child.kill("SIGTERM");
    expect(await w.exit(5_000), w.log()).toBe(0);
    expect(Date.now() - sent).toBeLessThan(2_000);
    expect(w.log()).not.toContain("did not answer");
  });

  it("with Redis gone: one SIGTERM stops it within a few seconds (exit 0)", async () => {
    const w = await idleWorker(true);
    const sent = Date.now();
    w.child.kill("SIGTERM");
    expect(await w.exit(10_000), w.log()).toBe(0);
    expect(Date.now() - sent).toBeLessThan(6_000);
    expect(w.log()).toContain("stopping: finishing the runs in flight");
    expect(w.log()).toContain("the queue did not answer within 3 s; stopping without it");
  });

  it("with Redis gone: SIGTERM then SIGINT stops it at once (exit 130)", async () => {
    const w = await idleWorker(true);
    w.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    const sent = Date.now();
    w.child.kill("SIGINT");
    expect(await w.exit(3_000), w.log()).toBe(130);
    expect(Date.now() - sent).toBeLessThan(1_500);
  });
});
