import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { sweepTemporaries, temporaryFor } from "../util/atomic-write.js";
import { isAlive } from "../util/process.js";
import { version } from "../version.js";

/** Who holds a claim on a training run. */
export interface Holder {
  pid: number;
  host: string;
  since: string;
  cnnp: string;
}

/** How often a holder touches its claims, and how old an untouched claim may get before it is stale. */
export const heartbeatMs = 30_000;
export const staleAfterMs = 3 * 60_000;
/**
 * How old a claim file that names no holder (empty or cut short) may get before it is stale. cnnp
 * writes claims whole, so such a file comes from a system crash or an older cnnp killed while
 * claiming; nobody is still writing it after a few seconds.
 */
export const unreadableAfterMs = 10_000;

/**
 * Claims on training runs, so that several `cnnp run`s (on one machine or several sharing a
 * folder) split the work of one results folder instead of doing it twice. A claim is a file
 * `claims/<run>.json` created exclusively; its holder touches it every 30 s. A claim is stale, and
 * may be taken over, when its holder's process is gone (same host) or it has not been touched for 3
 * minutes (any host).
 */
export class Claims {
  readonly dir: string;
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly me: Holder;
  private swept = false;

  constructor(resultsDir: string) {
    this.dir = join(resultsDir, "claims");
    this.me = { pid: process.pid, host: hostname(), since: new Date().toISOString(), cnnp: version };
  }

  private path(run: string): string {
    return join(this.dir, `${run}.json`);
  }

  /** The live holder of a run's claim, or null when nobody (alive) holds it. Stale claims are removed. */
  holder(run: string): Holder | null {
    const path = this.path(run);
    let text: string;
    let mtime: number;
    try {
      text = readFileSync(path, "utf8");
      mtime = statSync(path).mtimeMs;
    } catch {
      return null;
    }
    let h: Holder | null = null;
    try {
      h = JSON.parse(text) as Holder;
    } catch {
      // Names no holder: see unreadableAfterMs.
    }
    const age = Date.now() - mtime;
    const dead =
      age > staleAfterMs ||
      (h === null && age > unreadableAfterMs) ||
      (h !== null && h.host === this.me.host && h.pid !== process.pid && !isAlive(h.pid));
    if (h && !dead) return h;
    if (!h && !dead) return { pid: 0, host: "?", since: new Date(mtime).toISOString(), cnnp: "?" };
    // Remove the stale claim only if it is still the one just read, so a fresh claim is not lost.
    try {
      if (readFileSync(path, "utf8") === text) rmSync(path, { force: true });
    } catch {
      // Gone already.
    }
    return null;
  }

  /** Takes the claim on `run`; returns the other holder when someone alive has it. */
  claim(run: string): Holder | null {
    if (this.held.has(run)) return null;
    mkdirSync(this.dir, { recursive: true });
    if (!this.swept) {
      // Claims half-made by a cnnp killed between writing and linking them.
      sweepTemporaries(this.dir);
      this.swept = true;
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.create(this.path(run))) {
        this.held.add(run);
        this.startHeartbeat();
        return null;
      }
      const other = this.holder(run);
      if (other) return other;
    }
    return this.holder(run) ?? { pid: 0, host: "?", since: "", cnnp: "?" };
  }

  /**
   * Creates the claim file with this holder in it, or returns false when it exists. The holder is
   * written to a temporary file that is then hard-linked to the claim's name: linking fails if the
   * name exists, so the claim appears whole or not at all, even if this process is killed halfway.
   * Where the file system has no hard links, the file is created exclusively and then written.
   */
  private create(path: string): boolean {
    const text = JSON.stringify(this.me);
    const tmp = temporaryFor(path);
    try {
      writeFileSync(tmp, text);
      linkSync(tmp, path);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return false;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
    try {
      const fd = openSync(path, "wx");
      try {
        writeFileSync(fd, text);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw e;
    }
  }

  release(run: string): void {
    if (!this.held.delete(run)) return;
    rmSync(this.path(run), { force: true });
    if (this.held.size === 0) this.stopHeartbeat();
  }

  releaseAll(): void {
    for (const run of [...this.held]) this.release(run);
  }

  private startHeartbeat(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const now = new Date();
      for (const run of this.held) {
        try {
          utimesSync(this.path(run), now, now);
        } catch {
          // Removed by someone who judged it stale: the worst case is one run trained twice, with
          // the same numbers, each result file written whole.
        }
      }
    }, heartbeatMs);
    this.timer.unref();
  }

  private stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
