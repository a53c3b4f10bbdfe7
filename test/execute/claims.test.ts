import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Claims, staleAfterMs, unreadableAfterMs } from "../../src/execute/claims.js";
import { sweepAfterMs } from "../../src/util/atomic-write.js";

const root = mkdtempSync(join(tmpdir(), "cnnp-claims-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh results folder with its claims folder, and the path of run "r1"'s claim. */
function folder(): { dir: string; claim: string } {
  const dir = join(root, String(++n));
  mkdirSync(join(dir, "claims"), { recursive: true });
  return { dir, claim: join(dir, "claims", "r1.json") };
}

/** Sets a file's modification time `ms` into the past. */
function age(path: string, ms: number): void {
  const t = new Date(Date.now() - ms);
  utimesSync(path, t, t);
}

/** The id of a process that has ended (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(r.stdout);
}

const holder = (pid: number, host = hostname()) =>
  JSON.stringify({ pid, host, since: "2026-11-24T00:00:00.000Z", cnnp: "0.1.0" });

describe("claims on training runs", () => {
  it("writes a claim whole with its holder, leaves no temporary file, and keeps a second claimant out", () => {
    const { dir, claim } = folder();
    const mine = new Claims(dir);
    expect(mine.claim("r1")).toBeNull();
    expect(JSON.parse(readFileSync(claim, "utf8"))).toMatchObject({ pid: process.pid, host: hostname() });
    expect(readdirSync(join(dir, "claims"))).toEqual(["r1.json"]);
    // Another cnnp on the same folder (here: another Claims in this live process) is told who holds it.
    expect(new Claims(dir).claim("r1")).toMatchObject({ pid: process.pid });
    mine.release("r1");
    expect(readdirSync(join(dir, "claims"))).toEqual([]);
  });

  it("takes over the claim of a cnnp that is gone from this machine", () => {
    const { dir, claim } = folder();
    writeFileSync(claim, holder(deadPid()));
    expect(new Claims(dir).claim("r1")).toBeNull();
    expect(JSON.parse(readFileSync(claim, "utf8")).pid).toBe(process.pid);
  });

  it("waits for a live holder, and for another machine's until its claim goes untouched for 3 minutes", () => {
    const { dir, claim } = folder();
    writeFileSync(claim, holder(process.ppid));
    expect(new Claims(dir).claim("r1")).toMatchObject({ pid: process.ppid });
    writeFileSync(claim, holder(process.ppid, "elsewhere"));
    age(claim, staleAfterMs - 10_000);
    expect(new Claims(dir).claim("r1")).toMatchObject({ host: "elsewhere" });
    age(claim, staleAfterMs + 1_000);
    expect(new Claims(dir).claim("r1")).toBeNull();
  });

  it("takes over a claim that names no holder after 10 seconds, not 3 minutes", () => {
    // What an older cnnp killed between creating and writing its claim left behind.
    const { dir, claim } = folder();
    writeFileSync(claim, "");
    expect(new Claims(dir).claim("r1")).toMatchObject({ pid: 0 });
    age(claim, unreadableAfterMs + 1_000);
    expect(new Claims(dir).claim("r1")).toBeNull();
    expect(JSON.parse(readFileSync(claim, "utf8")).pid).toBe(process.pid);
  });

  it("sweeps the temporary files of claimants that died, and keeps those of live ones", () => {
    const { dir } = folder();
    const dead = `r2.json.${deadPid()}.1.tmp`;
    const live = `r3.json.${process.ppid}.1.tmp`;
    writeFileSync(join(dir, "claims", dead), holder(1));
    writeFileSync(join(dir, "claims", live), holder(1));
    age(join(dir, "claims", dead), sweepAfterMs + 1_000);
    age(join(dir, "claims", live), sweepAfterMs + 1_000);
    expect(new Claims(dir).claim("r1")).toBeNull();
    expect(readdirSync(join(dir, "claims")).sort()).toEqual(["r1.json", live]);
  });
});
