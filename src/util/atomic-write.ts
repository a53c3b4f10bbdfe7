import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** The temporary name a write goes through: `<target>.<pid>.<time>.tmp`, so a sweep can tell whose it is. */
export const temporaryName = /\.(\d+)\.\d+\.tmp$/;

/**
 * Writes a file so that it is either whole or absent: a temporary file beside the target, flushed
 * to disk, renamed over the target, then the folder flushed (where the system allows it).
 */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const folder = dirname(target);
  mkdirSync(folder, { recursive: true });
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
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
    rmSync(tmp, { force: true });
    throw new Error(`cannot write ${target}: ${(e as Error).message}`);
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
