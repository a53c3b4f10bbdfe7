import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { isAlive } from "./process.js";
import { writeErrorOf } from "./write-error.js";

/** The temporary name a write goes through: `<target>.<pid>.<time>.tmp`, so a sweep can tell whose it is. */
const temporaryName = /\.(\d+)\.\d+\.tmp$/;

/** A fresh temporary name beside `target`, in the form `temporaryName` recognises. */
export function temporaryFor(target: string): string {
  return `${target}.${process.pid}.${Date.now()}.tmp`;
}

/**
 * How old a temporary file must be before a sweep may remove it. A write holds its temporary for
 * milliseconds; the wait keeps the temporaries of writers on other machines sharing the folder,
 * whose process ids mean nothing here.
 */
export const sweepAfterMs = 60_000;

/**
 * Removes the temporary files in `dir` that a crashed writer left behind: a minute old, and no
 * process of theirs alive here. Returns how many were removed.
 */
export function sweepTemporaries(dir: string): number {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".tmp"));
  } catch {
    return 0;
  }
  let removed = 0;
  for (const f of files) {
    const pid = Number(temporaryName.exec(f)?.[1]);
    if (Number.isInteger(pid) && isAlive(pid)) continue;
    try {
      if (Date.now() - statSync(join(dir, f)).mtimeMs < sweepAfterMs) continue;
    } catch {
      continue; // Renamed or removed by its writer meanwhile.
    }
    try {
      rmSync(join(dir, f), { force: true });
      removed++;
    } catch {
      // A read-only folder keeps its leftovers; they are never read as results all the same.
    }
  }
  return removed;
}

/**
 * Writes a file so that it is either whole or absent: a temporary file beside the target, flushed
 * to disk, renamed over the target, then the folder flushed (where the system allows it).
 */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const folder = dirname(target);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (e) {
    throw writeErrorOf(folder, e) ?? e;
  }
  const tmp = temporaryFor(target);
  try {
    const fd = openSync(tmp, "w");
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // On a read-only file system there is nothing to remove.
    }
    throw writeErrorOf(target, e) ?? new Error(`cannot write ${target}: ${(e as Error).message}`);
  }
  try {
    const fd = openSync(folder, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some systems cannot open a folder for fsync; the rename is atomic all the same.
  }
}
