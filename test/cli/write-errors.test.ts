import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnnp } from "../helpers/cli.js";

/**
 * A full disk and a read-only results folder, made for real: the CLI runs in a mount namespace of
 * its own (`unshare -rm`) where the results folder is a 16 KiB tmpfs, or a read-only bind mount.
 * Each failure is one line naming the path and what to do; nothing half-written is left as a
 * result; a read-only folder still serves status, results and run with nothing to train.
 */
const canMount = spawnSync("unshare", ["-rm", "true"]).status === 0;
const tmp = mkdtempSync(join(tmpdir(), "cnnp-write-errors-"));
const cli = resolve("dist/cli/main.js");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Runs cnnp inside a mount namespace where `mount` (a shell command) was done first; `after`, a
 * shell command run there once cnnp exits, prints to stdout after cnnp's output.
 */
function cnnpMounted(mount: string, ...args: string[]) {
  return cnnpThen(mount, "true", ...args);
}

function cnnpThen(mount: string, after: string, ...args: string[]) {
  const r = spawnSync(
    "unshare",
    [
      "-rm",
      "sh",
      "-c",
      `${mount} && { "$0" "$@"; rc=$?; ${after}; exit $rc; }`,
      process.execPath,
      cli,
      ...args,
    ],
    { cwd: tmp, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000 },
  );
  return { code: r.status, err: r.stderr, out: r.stdout };
}

const pipeline = "data fashion_mnist train 256 test 64\nepochs 1\nmodel m = conv4 pool dense10\n";
const oneLine = (err: string) =>
  err
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("error: "));

describe.skipIf(!canMount)("writing results where the system refuses", { timeout: 120_000 }, () => {
  beforeAll(() => {
    writeFileSync(join(tmp, "p.cnnp"), pipeline);
    writeFileSync(join(tmp, "more.cnnp"), pipeline.replace("epochs 1", "epochs 2"));
    // Real results to serve read-only.
    const r = cnnp("run", join(tmp, "p.cnnp"), "--results", join(tmp, "done"), "--workers", "1");
    expect(r.code, r.err).toBe(0);
    mkdirSync(join(tmp, "ro"));
    mkdirSync(join(tmp, "full"));
  });

  it("a full disk: one line naming the file and what to do, and no result file, whole or half", () => {
    const r = cnnpThen(
      "mount -t tmpfs -o size=16k none full",
      'echo "files:"; find full -type f | sort',
      "run",
      "p.cnnp",
      "--results",
      "full",
    );
    expect(r.code, r.err).toBe(2);
    const [line, ...more] = oneLine(r.err);
    expect(more).toEqual([]);
    expect(line).toMatch(/^error: cannot write full\/\S+: the disk is full \(ENOSPC\); free some space/);
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
    // What the full disk holds afterwards: the context record, no result, no temporary file.
    const files = r.out
      .slice(r.out.indexOf("files:") + 6)
      .trim()
      .split("\n");
    expect(files).toEqual([expect.stringMatching(/^full\/contexts\/[0-9a-f]+\.json$/)]);
    expect(readdirSync(join(tmp, "full"))).toEqual([]);
  });

  const ro = "mount --bind done ro && mount -o remount,bind,ro ro";

  it("a read-only results folder still serves status, results, and run when everything is done", () => {
    const status = cnnpMounted(ro, "status", "p.cnnp", "--results", "ro");
    expect(status.code, status.err).toBe(0);
    expect(status.out).toMatch(/1 of 1 jobs? done/);
    const results = cnnpMounted(ro, "results", "p.cnnp", "--results", "ro", "--csv");
    expect(results.code, results.err).toBe(0);
    expect(results.out.trim().split("\n")).toHaveLength(2);
    const run = cnnpMounted(ro, "run", "p.cnnp", "--results", "ro");
    expect(run.code, run.err).toBe(0);
    expect(run.err).toContain("1 of 1 job done (1 from earlier runs)");
  });

  it("a read-only results folder with work to do: one line naming the path, before any training", () => {
    const r = cnnpMounted(ro, "run", "more.cnnp", "--results", "ro");
    expect(r.code, r.err).toBe(2);
    expect(oneLine(r.err)).toEqual([
      expect.stringMatching(
        /^error: cannot write ro\/\S+: the file system is read-only \(EROFS\); give a folder on a writable disk \(--results DIR\)/,
      ),
    ]);
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
  });
});
