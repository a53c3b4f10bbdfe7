import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** `cnnp run` as a user runs it, on small slices of the real Fashion-MNIST. */
let fresh = 0;
/** A results folder of its own for each call, unless the test passes one. */
function cnnp(...args: string[]) {
  return cnnpWith({}, ...args);
}

function cnnpWith(env: Record<string, string>, ...args: string[]) {
  if (args[0] === "run" && !args.includes("--results"))
    args.push("--results", join("test", ".tmp", `results-${process.pid}-${fresh++}`));
  // One worker keeps the lines in plan order; test/cli/workers.test.ts runs several.
  if (args[0] === "run" && !args.includes("--workers")) args.push("--workers", "1");
  const r = spawnSync(process.execPath, ["dist/cli/main.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...env },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = join("test", ".tmp");
mkdirSync(dir, { recursive: true });
const file = join(dir, "small.cnnp");
writeFileSync(
  file,
  `data fashion_mnist train 256 test 200
epochs 1
repeat 2
model small = conv8 pool flatten dense16 dense10
experiment "Small" {}
experiment "Other" {
  sweep maps [4]
}
`,
);

describe("cnnp run", { timeout: 120_000 }, () => {
  it("trains and evaluates every job on the real files and prints loss, accuracy and time", () => {
    const r = cnnp("run", file, "--only", "Small");
    expect(r.code).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\[1\/2\] Small · small · repeat 1\/2: test loss \d\.\d{4} acc 0\.\d{4} · train loss \d\.\d{4} acc 0\.\d{4} · 1 epoch · train \d+\.\d s \(\d+\.\d{3} ms\/sample\), test \d+\.\d\d s · (native|wasm)$/,
    );
    expect(r.err).toContain("Fashion-MNIST from /usr/share/datasets/fashion-mnist");
    expect(r.err).toMatch(
      /2 of 2 jobs done \(0 from earlier runs\); results in test\/\.tmp\/results-\d+-\d+\/jobs/,
    );
  });

  it("prints each job's full result as JSON, the same for the same seed", () => {
    const a = cnnp("run", file, "--only", "Small", "--json", "--backend", "wasm");
    const b = cnnp("run", file, "--only", "Small", "--json", "--backend", "wasm");
    const parse = (out: string) =>
      out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    const [r1, r2] = parse(a.out);
    const [s1] = parse(b.out);
    expect(r1.backend.name).toBe("wasm");
    expect(r1.backend.versions["tfjs-core"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(r1.host.cores).toBeGreaterThan(0);
    expect(r1.history).toHaveLength(1);
    expect([r1.seed, r2.seed]).toEqual([1, 2]);
    expect(s1.test).toEqual({ ...r1.test, seconds: s1.test.seconds });
    expect(r2.test.accuracy === r1.test.accuracy && r2.test.loss === r1.test.loss).toBe(false);
  });

  it("records the jobs of a back end that will not load as not available here, with its reason, and exits 1", () => {
    // tfjs-node is an optional dependency whose install needs the internet: absent here.
    const r = cnnp("run", file, "--only", "Small", "--backend", "tensorflow");
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `[1/2] Small · small · repeat 1/2: not available on ${hostname()}: @tensorflow/tfjs-node is not installed (it is optional: npm install @tensorflow/tfjs-node, which downloads libtensorflow)`,
    );
    expect(r.out).not.toContain("FAILED");
    expect(r.err).toContain(
      "0 of 2 jobs done (0 from earlier runs), 2 not available (their back end did not load",
    );
  });

  it("says how to get the native back end when it is not built, and auto falls back to wasm", () => {
    const env = { CNNP_NATIVE_ADDON: join(dir, "no-such-addon.node") };
    const r = cnnpWith(env, "run", file, "--only", "Small", "--backend", "native");
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `not available on ${hostname()}: the native back end is not built (install oneDNN (Debian/Ubuntu: sudo apt-get install libdnnl-dev; macOS: brew install onednn)`,
    );
    const auto = cnnpWith(env, "run", file, "--only", "Small", "--backend", "auto");
    expect(auto.code).toBe(0);
    expect(auto.err).toMatch(/back end: wasm \(auto skipped .*native: the native back end is not built/);
    expect(auto.out).toMatch(/· wasm\n/);
  });

  it("keeps each finished job in a result file and does not run it again; a bad file is re-run", () => {
    const results = join(dir, `resume-${process.pid}`);
    rmSync(results, { recursive: true, force: true });
    const first = cnnp("run", file, "--only", "Small", "--results", results);
    expect(first.code).toBe(0);
    const files = readdirSync(join(results, "jobs")).filter((f) => f.endsWith(".json"));
    expect(files).toHaveLength(2);
    const status = cnnp("status", file, "--results", results, "--json");
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out).experiments).toEqual([
      {
        number: 1,
        title: "Small",
        jobs: 2,
        done: 2,
        failed: 0,
        unavailable: 0,
        invalid: 0,
        missing: 0,
        waiting: 0,
      },
      {
        number: 2,
        title: "Other",
        jobs: 2,
        done: 0,
        failed: 0,
        unavailable: 0,
        invalid: 0,
        missing: 2,
        waiting: 0,
      },
    ]);
    expect(cnnp("status", file, "--results", results).out).toContain(
      "1. Small       2     2       0        0        0",
    );
    const otherBackend = JSON.parse(
      cnnp("status", file, "--results", results, "--backend", "cpu", "--json").out,
    );
    expect(otherBackend.experiments[0]).toMatchObject({ title: "Small", done: 0, missing: 2 });
    const second = cnnp("run", file, "--only", "Small", "--results", results);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/\[1\/2\] Small · small · repeat 1\/2: done before: test loss/);
    expect(second.err).toContain("2 of 2 jobs done (2 from earlier runs)");
    const damaged = join(results, "jobs", files[0] as string);
    writeFileSync(damaged, readFileSync(damaged, "utf8").replace('"status": "ok"', '"status": "maybe"'));
    const third = cnnp("run", file, "--only", "Small", "--results", results);
    expect(third.code).toBe(0);
    expect(third.err).toContain(`${damaged}: not a valid result (status: Invalid discriminator value`);
    expect(third.err).toContain("2 of 2 jobs done (1 from earlier runs)");
    expect(JSON.parse(readFileSync(damaged, "utf8")).status).toBe("ok");
  });

  it("explains a missing data folder and an unknown experiment, exit 2, no stack trace", () => {
    const noData = cnnp("run", file, "--data", "no/such/dir");
    expect(noData.code).toBe(2);
    expect(noData.err).toBe("error: no/such/dir (given by --data): no such folder\n");
    const noExp = cnnp("run", file, "--only", "Nope");
    expect(noExp.code).toBe(2);
    expect(noExp.err).toContain(
      'error: no experiment titled "Nope" in test/.tmp/small.cnnp; titles: "Small", "Other"',
    );
    const badBackend = cnnp("run", file, "--backend", "gpu");
    expect(badBackend.code).toBe(2);
    expect(badBackend.err).toContain(
      "Allowed choices are auto, wasm, cpu, native, tensorflow, tensorflow-gpu",
    );
  });
});
