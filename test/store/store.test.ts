import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type FailedResult, schemaVersion } from "../../src/store/schema.js";
import { ResultStore } from "../../src/store/store.js";
import { sweepAfterMs } from "../../src/util/atomic-write.js";

const dir = mkdtempSync(join(tmpdir(), "cnnp-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failed: FailedResult = {
  schema: schemaVersion,
  status: "failed",
  error: "the loss became NaN at epoch 3, batch 7: lower the learning rate",
  finishedAt: "2026-11-23T20:00:00.000Z",
  data: { dir: "/usr/share/datasets/fashion-mnist", checksum: "abc", official: true },
  source: { file: "pipelines/quick.cnnp", git: { commit: "0".repeat(40), dirty: false } },
  job: "0123456789abcdef",
  run: "fedcba9876543210",
  experiment: 1,
  configuration: 0,
  repeat: 0,
  seed: 1,
  epochs: 5,
  host: {
    hostname: "h",
    cpu: "c",
    cores: 2,
    memoryGiB: 24,
    os: "linux",
    node: "v20",
    cnnp: "0.1.0",
    gpus: [],
  },
};

describe("result store", () => {
  const store = new ResultStore(dir);

  it("writes a result whole, leaves no temporary file, and reads it back valid", () => {
    expect(store.read(failed.job)).toEqual({ kind: "missing" });
    const path = store.write(failed);
    expect(path).toBe(join(dir, "jobs", "0123456789abcdef.json"));
    expect(readdirSync(join(dir, "jobs"))).toEqual(["0123456789abcdef.json"]);
    expect(store.read(failed.job)).toEqual({ kind: "valid", result: failed });
  });

  it("sweeps temporary files of writers that died a minute ago, and keeps those of live or recent ones", () => {
    const old = new Date(Date.now() - sweepAfterMs - 1_000);
    const dead = join(dir, "jobs", "2222222222222222.json.999999999.1.tmp");
    const live = join(dir, "jobs", `3333333333333333.json.${process.pid}.1.tmp`);
    // Another machine's write in progress on a shared folder: its process id means nothing here.
    const recent = join(dir, "jobs", "4444444444444444.json.999999999.1.tmp");
    for (const f of [dead, live, recent]) writeFileSync(f, "{");
    utimesSync(dead, old, old);
    utimesSync(live, old, old);
    expect(store.sweep()).toBe(1);
    expect(readdirSync(join(dir, "jobs")).sort()).toEqual([
      "0123456789abcdef.json",
      `3333333333333333.json.${process.pid}.1.tmp`,
      "4444444444444444.json.999999999.1.tmp",
    ]);
    rmSync(live);
    rmSync(recent);
  });

  it("refuses to write what the schema rejects", () => {
    expect(() => store.write({ ...failed, epochs: 0 })).toThrow();
    expect(readdirSync(join(dir, "jobs"))).toEqual(["0123456789abcdef.json"]);
  });

  it("reports, and never trusts, a file that is cut short, not JSON, off-schema or another job's", () => {
    const id = "1111111111111111";
    const path = store.path(id);
    writeFileSync(path, '{"schema": 1, "status": "ok", "job"');
    expect(store.read(id)).toMatchObject({ kind: "invalid", path, why: expect.stringMatching(/^not JSON/) });
    writeFileSync(path, JSON.stringify({ ...failed, job: id, seed: "one" }));
    expect(store.read(id)).toMatchObject({ kind: "invalid", why: expect.stringMatching(/^seed: /) });
    writeFileSync(path, JSON.stringify(failed));
    expect(store.read(id)).toMatchObject({
      kind: "invalid",
      why: "holds job 0123456789abcdef, not 1111111111111111",
    });
  });
});
