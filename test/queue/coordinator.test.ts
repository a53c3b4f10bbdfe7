import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
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
import type { OkResult } from "../../src/store/schema.js";
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

  it("records a rogue worker's out-of-range or mismatched results as failed with why, and counts only the valid one (issue 25, finding 3)", async () => {
    const { url, server } = await startRedis();
    servers.push(server);
    const target = parseQueueUrl(url) as QueueTarget;
    // A real result of the committed study, to be sent back for each job with one thing wrong.
    const jobsDir = join("studies", "fashion-mnist", "results", "jobs");
    const real = readdirSync(jobsDir)
      .map((f) => JSON.parse(readFileSync(join(jobsDir, f), "utf8")) as OkResult)
      .find((r) => r.status === "ok" && r.test.confusion && r.epochsTrained === r.epochs) as OkResult;
    const c = compile(
      `data fashion_mnist\nepochs ${real.epochs}\nmodel conv4 pool dense10\nrepeat 5\n`,
      "rogue.cnnp",
    );
    if (!c.pipeline) throw new Error("the test pipeline does not compile");
    const p = plan(c.pipeline);
    const results = mkdtempSync(join(tmpdir(), "cnnp-rogue-"));
    folders.push(results);
    const store = new ResultStore(results);
    const { units } = pendingWork(p, (id) => store.read(id));
    expect(units).toHaveLength(5);
    const wrong: Record<number, (r: OkResult) => void> = {
      0: (r) => {
        r.test.accuracy = 7.5;
        r.test.loss = -1;
      },
      1: (r) => {
        r.test.confusion = [[1]];
        r.test.perClass = [];
      },
      2: (r) => {
        r.seed += 100;
      },
      3: (r) => {
        r.history = r.history.map((h) => ({ ...h, epoch: h.epoch + 1 }));
      },
      4: () => {},
    };
    const fake = new Worker<QueuedRun, QueuedResult>(
      queueName,
      async (job) => ({
        protocol,
        worker: "rogue:1",
        results: job.data.unit.jobs.map((j) => {
          const {
            status: _s,
            schema: _v,
            finishedAt: _f,
            data: _d,
            source: _o,
            ...r
          } = structuredClone(real);
          const result = {
            ...r,
            job: j.id,
            run: j.run,
            experiment: j.experiment,
            configuration: j.configuration,
            repeat: j.repeat,
            seed: j.seed,
            epochs: j.epochs,
          };
          wrong[j.repeat]?.(result as OkResult);
          return result as never;
        }),
      }),
      { connection: { ...target.connection, maxRetriesPerRequest: null } },
    );
    const events: RunEvent[] = [];
    await execute(units, {
      store,
      executor: new QueueExecutor({ target, dataChecksum: officialChecksum, attempts: 1, pollMs: 500 }),
      data: { dir: "/nowhere", checksum: officialChecksum, official: true },
      source: { file: "rogue.cnnp", git: null },
      signal: new AbortController().signal,
      onEvent: (e) => events.push(e),
    });
    await fake.close();
    const byRepeat = new Map(units.flatMap((u) => u.jobs).map((j) => [j.repeat, store.read(j.id)]));
    const status = (repeat: number) => {
      const s = byRepeat.get(repeat);
      if (s?.kind !== "valid") throw new Error(`repeat ${repeat}: ${JSON.stringify(s)}`);
      return s.result;
    };
    const why = (repeat: number) => {
      const r = status(repeat);
      return r.status === "failed" ? r.error : "ok";
    };
    const invalid = "the worker rogue:1 returned a result that is not valid";
    expect(why(0)).toMatch(new RegExp(`^${invalid} \\(test\\.(accuracy|loss): `));
    expect(why(1)).toMatch(new RegExp(`^${invalid} \\(test\\.confusion: 1 classes, but the model has 10`));
    expect(why(2)).toMatch(new RegExp(`^${invalid} \\(seed: \\d+, but the job's is \\d+`));
    expect(why(3)).toMatch(new RegExp(`^${invalid} \\(history\\.\\d+\\.epoch: `));
    expect(why(4)).toBe("ok");
    const ok = status(4) as OkResult;
    expect(ok.test.accuracy).toBe(real.test.accuracy);
    // Only the valid result is a finished job: the rest are failed ones, tried again next time.
    const files = events.flatMap((e) => (e.type === "finished" ? e.files : []));
    expect(files.filter((f) => f.status === "ok").map((f) => f.repeat)).toEqual([4]);
    expect(files.filter((f) => f.status === "failed")).toHaveLength(4);
  });
});
