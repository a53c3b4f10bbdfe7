import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Job, Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { officialChecksumOf } from "../../src/data/official.js";
import { pendingWork } from "../../src/execute/pending.js";
import { plan } from "../../src/plan/plan.js";
import type { Unit } from "../../src/plan/types.js";
import { protocol, type QueuedRun, queueJobId, queueName } from "../../src/queue/payload.js";
import { validateQueuedRun } from "../../src/queue/validate.js";
import { killAll, redisServer, start, until } from "./servers.js";

/**
 * Finding 2 of issue 25: anyone who can write to the queue's Redis can queue a run. A worker
 * trains only what `cnnp check` would pass, refuses the rest without retrying, and puts no path or
 * file listing of its machine into Redis.
 */
const dir = mkdtempSync(join(tmpdir(), "cnnp-payload-"));
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

/** The runs a pipeline's plan puts on the queue, as the coordinator sends them. */
function payloads(text: string, file = "p.cnnp"): QueuedRun[] {
  const c = compile(text, file);
  if (!c.pipeline) throw new Error(`${file} does not compile`);
  const p = plan(c.pipeline);
  const { units, deferred } = pendingWork(p, () => ({ kind: "missing" }));
  return [...units, ...deferred].map((unit) => ({
    protocol,
    unit,
    dataChecksum: officialChecksumOf(unit.run.data.name),
    backend: unit.run.backend,
  }));
}

/** A copy of a payload with its unit changed by `f`. */
function altered(q: QueuedRun, f: (u: Unit) => void): QueuedRun {
  const copy = structuredClone(q);
  f(copy.unit);
  return copy;
}

describe("the payload a queue worker accepts", () => {
  it("is every run the repository's pipelines plan (the worker's check knows every field cnnp sends)", () => {
    const files = readdirSync("pipelines").filter((f) => f.endsWith(".cnnp"));
    expect(files.length).toBeGreaterThan(0);
    let n = 0;
    for (const f of files)
      for (const q of payloads(readFileSync(join("pipelines", f), "utf8"), join("pipelines", f))) {
        expect(validateQueuedRun(q), `${f}: run ${q.unit.run.id}`).toEqual(q);
        n++;
      }
    expect(n).toBeGreaterThan(20);
  });
});

describe("the payload check", () => {
  it("accepts a model with blocks nested as deep as a pipeline may nest them (32 levels, a residual in each and around the outermost)", () => {
    const blocks = Array.from({ length: 31 }, (_, i) => `block b${i + 1} = residual(b${i})`).join("\n");
    const [deep] = payloads(
      `data fashion_mnist train 64 test 32\nepochs 1\nblock b0 = residual(conv4(same))\n${blocks}\nmodel m = residual(b31) pool dense10\nexperiment "Deep" {}\n`,
    );
    if (!deep) throw new Error("no run planned");
    expect(validateQueuedRun(deep)).toEqual(deep);
  });

  const [valid] = payloads(
    'data fashion_mnist train 6000 test 1000\nepochs 2\nmodel m = conv8 pool dense10\nexperiment "Ok" {}\n',
  );
  if (!valid) throw new Error("no run planned");
  const why = (f: (u: Unit) => void, q: QueuedRun = valid) => validateQueuedRun(altered(q, f));
  it("refuses what check would, and runs whose parts disagree, naming the place and no value sent", () => {
    expect(validateQueuedRun(valid)).toEqual(valid);
    expect(
      why((u) => {
        const conv = u.run.model.layers[0];
        if (conv?.type === "conv2d") conv.filters = 4096;
        u.run.training.batchSize = 65_536;
      }),
    ).toMatch(
      /^unit\.run\.training\.batchSize: training would need about .* GiB, more than the 8\.0 GiB one job may use/,
    );
    expect(
      why((u) => {
        u.run.model.input = [32, 32, 3];
      }),
    ).toBe("unit.run.model.input: not the 28x28x1 images of Fashion-MNIST");
    expect(
      why((u) => {
        u.run.seed = 2 ** 40;
      }),
    ).toMatch(/^unit\.run\.seed: /);
    expect(
      why((u) => {
        u.run.evaluateAt = [2, 1];
      }),
    ).toBe("unit.run.evaluateAt: not ascending within 1..2");
    expect(
      why((u) => {
        (u.jobs[0] as Unit["jobs"][0]).run = "f".repeat(16);
      }),
    ).toBe("unit.jobs.0: not a job of the run");
    expect(
      why((u) => {
        u.run.model.name = "m\u001b[2J";
      }),
    ).toBe("unit.run.model.name: has control characters");
    expect(
      why((u) => {
        (u.run as unknown as Record<string, unknown>).extra = "/etc/passwd";
      }),
    ).toMatch(/^unit\.run: /);
    expect(validateQueuedRun({ ...valid, unit: undefined })).toMatch(/^unit: /);
    // Layers nested far deeper than blocks may nest: refused, not a stack overflow in the check.
    for (const depth of [1_000, 100_000])
      expect(
        why((u) => {
          let inner: unknown = u.run.model.layers[0];
          for (let i = 0; i < depth; i++) inner = { type: "residual", layers: [inner] };
          (u.run.model.layers as unknown[])[0] = inner;
        }),
      ).toBe("the payload: nested deeper than any model cnnp plans");
    expect(validateQueuedRun("junk")).toMatch(/^the payload: /);
  });
});

describe("a queue worker given payloads that cnnp check would refuse", { timeout: 120_000 }, () => {
  it("refuses each without retrying (epochs 1e9, a folder data set, an unknown back end, more images than the set has), logs why, and puts no path or listing into Redis; a valid run still trains", async () => {
    const { port } = await redisServer();
    const url = `redis://127.0.0.1:${port}`;
    const [valid] = payloads(
      'data fashion_mnist train 64 test 32\nepochs 1\nmodel m = conv4 pool dense10\nexperiment "Ok" {}\n',
    );
    if (!valid) throw new Error("no run planned");
    // A folder whose listing must not reach Redis.
    const secret = join(dir, "private-folder-3f9c");
    for (const c of ["listing-canary-a", "listing-canary-b"]) mkdirSync(join(secret, c), { recursive: true });
    const bad: Record<string, QueuedRun> = {
      epochs: altered(valid, (u) => {
        u.run.epochs = 1e9;
        u.run.training.epochs = 1e9;
        u.run.evaluateAt = [1e9];
        for (const j of u.jobs) j.epochs = 1e9;
      }),
      folder: altered(valid, (u) => {
        u.run.data = {
          name: "folder",
          train: 2,
          test: 2,
          folder: {
            path: secret,
            resolved: secret,
            size: [28, 28],
            channels: 1,
            split: 0.5,
            classes: ["a", "b"],
          },
        };
      }),
      backend: { ...valid, backend: "evil" as never },
      images: altered(valid, (u) => {
        u.run.data.train = 70_000;
      }),
    };
    const worker = start(["worker", "--queue", url], dir);
    await until(() => worker.log.err.includes("waiting for runs"), 60_000, "the worker");
    const queue = new Queue<QueuedRun>(queueName, { connection: { host: "127.0.0.1", port } });
    try {
      const ids = new Map<string, string>();
      for (const [what, q] of Object.entries(bad)) {
        // Ids of their own: what makes a queue id (the run's jobs and epochs) is the same in some.
        const id = createHash("sha256").update(what).digest("hex").slice(0, 32);
        ids.set(what, id);
        await queue.add("train", q, { jobId: id, attempts: 3, backoff: { type: "fixed", delay: 100 } });
      }
      await queue.add("train", valid, { jobId: queueJobId(valid.unit), attempts: 1 });
      const jobs = async () =>
        Promise.all([...ids.values()].map(async (id) => (await queue.getJob(id)) as Job));
      const settled = async () => {
        const states = await Promise.all((await jobs()).map((j) => j.getState()));
        const ok = await (await queue.getJob(queueJobId(valid.unit)))?.getState();
        return states.every((s) => s === "failed") && ok === "completed";
      };
      const deadline = Date.now() + 90_000;
      while (!(await settled())) {
        if (Date.now() > deadline) throw new Error(`not settled: ${worker.log.err}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const expected: Record<string, RegExp> = {
        epochs: /unit\.run\.training\.epochs: .*10000/,
        folder:
          /unit\.run\.data\.name: not a named data set \(a folder of images cannot be trained over the queue\)/,
        backend: /backend: /,
        images: /unit\.run\.data\.train: more than the 60000 training images of Fashion-MNIST/,
      };
      for (const [what, id] of ids) {
        const job = (await queue.getJob(id)) as Job;
        const reason = job.failedReason;
        expect(reason, what).toMatch(/refused run [0-9a-f]{12}: not a run this cnnp would queue \(/);
        expect(reason, what).toMatch(expected[what] as RegExp);
        // Not tried again: a payload that fails the check fails it everywhere.
        expect(job.attemptsMade, what).toBe(1);
        for (const leak of [secret, "private-folder", "listing-canary", dir, process.cwd()])
          expect(reason, what).not.toContain(leak);
        expect(job.stacktrace ?? [], what).toEqual([]);
        expect(worker.log.err).toContain(
          `error: refused run ${id.slice(0, 12)}: not a run this cnnp would queue`,
        );
      }
      expect(worker.log.err).toMatch(/run [0-9a-f]{12}: done in/);

      // Data of another checksum: the worker names its folder in its own log only.
      const [another] = payloads(
        'data fashion_mnist train 64 test 32\nepochs 1\nseed 2\nmodel m = conv4 pool dense10\nexperiment "Other" {}\n',
      );
      if (!another) throw new Error("no run planned");
      const otherId = queueJobId(another.unit);
      await queue.add(
        "train",
        { ...another, dataChecksum: "ab".repeat(32) },
        { jobId: otherId, attempts: 1 },
      );
      await until(() => /this worker stops/.test(worker.log.err), 30_000, "the refusal");
      const folder = /its Fashion-MNIST in (.*) has checksum/.exec(worker.log.err)?.[1];
      expect(folder).toBeTruthy();
      let job = (await queue.getJob(otherId)) as Job;
      for (let i = 0; i < 100 && !(await job.isFailed()); i++) {
        await new Promise((r) => setTimeout(r, 100));
        job = (await queue.getJob(otherId)) as Job;
      }
      expect(job.failedReason).toMatch(
        /refused run [0-9a-f]{12}: its Fashion-MNIST has checksum [0-9a-f]{64}/,
      );
      expect(job.failedReason).not.toContain(folder as string);
      expect(job.stacktrace ?? []).toEqual([]);
    } finally {
      await queue.close();
    }
  });
});
