import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { officialChecksum } from "../../src/data/checksums.js";
import { execute } from "../../src/execute/execute.js";
import { pendingWork } from "../../src/execute/pending.js";
import type { RunEvent } from "../../src/execute/types.js";
import { plan } from "../../src/plan/plan.js";
import { QueueExecutor } from "../../src/queue/coordinator.js";
import { protocol, type QueuedResult, type QueuedRun, queueName } from "../../src/queue/payload.js";
import { parseQueueUrl, type QueueTarget } from "../../src/queue/url.js";
import { ResultStore } from "../../src/store/store.js";
import { startRedis } from "../helpers/redis-server.js";

const servers: ChildProcess[] = [];
const folders: string[] = [];
afterAll(() => {
  for (const s of servers) s.kill();
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

describe("the queue executor", { timeout: 60_000 }, () => {
  it("records a worker's result that fails the schema as a failed job with the reason, writes it, and ends", async () => {
    const { url, server } = await startRedis();
    servers.push(server);
    const target = parseQueueUrl(url) as QueueTarget;
    const c = compile(
      "data fashion_mnist train 64 test 32\nmodel conv4 pool dense10\nrepeat 2\n",
      "bad.cnnp",
    );
    if (!c.pipeline) throw new Error("the test pipeline does not compile");
    const p = plan(c.pipeline);
    const results = mkdtempSync(join(tmpdir(), "cnnp-coord-"));
    folders.push(results);
    const store = new ResultStore(results);
    const { units } = pendingWork(p, (id) => store.read(id));
    expect(units).toHaveLength(2);

    // A worker of another make: it answers in the right protocol, but with an accuracy as text.
    const fake = new Worker<QueuedRun, QueuedResult>(
      queueName,
      async (job) => ({
        protocol,
        worker: "elsewhere:1",
        results: job.data.unit.jobs.map((j) => ({ job: j.id, test: { accuracy: "high" } }) as never),
      }),
      { connection: { ...target.connection, maxRetriesPerRequest: null } },
    );
    const events: RunEvent[] = [];
    const outcome = await execute(units, {
      store,
      executor: new QueueExecutor({ target, dataChecksum: officialChecksum, attempts: 1, pollMs: 500 }),
      data: { dir: "/nowhere", checksum: officialChecksum, official: true },
      source: { file: "bad.cnnp", git: null },
      signal: new AbortController().signal,
      onEvent: (e) => events.push(e),
    });
    await fake.close();

    expect(outcome).toEqual({ interrupted: false });
    const notices = events.flatMap((e) => (e.type === "notice" ? [e.text] : []));
    expect(notices.filter((t) => t.includes("lost touch"))).toEqual([]);
    const finished = events.filter((e) => e.type === "finished");
    expect(finished).toHaveLength(2);
    for (const u of units)
      for (const j of u.jobs) {
        const s = store.read(j.id);
        expect(s.kind).toBe("valid");
        if (s.kind !== "valid" || s.result.status !== "failed")
          throw new Error(`job ${j.id}: not recorded as failed`);
        expect(s.result.error).toMatch(/^the worker elsewhere:1 returned a result that is not valid \(/);
      }
  });
});
