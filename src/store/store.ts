import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from "node:fs";
import { join } from "node:path";
import { type SavedCheckpoint, savedCheckpoint } from "../store/checkpoint.js";
import { sweepTemporaries, writeFileAtomic } from "../util/atomic-write.js";
import { type ResultFile, resultFile } from "./schema.js";

/** The folder of a job's trained model (model.json and its weights), relative to the store's. */
export const weightsFolder = (jobId: string) => join("weights", jobId);

/**
 * The largest result file read (a result is a few KB; with its confusion matrix and a long history,
 * tens of KB): anything bigger is invalid, and is not read past this.
 */
export const maxResultBytes = 4 * 1024 * 1024;
/** A checkpoint holds every weight and the optimizer's slots, in base64: far more than a result. */
const maxCheckpointBytes = 1024 * 1024 * 1024;

/** What a folder entry is, in words, when it is not a regular file. */
function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return "a symbolic link";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isDirectory()) return "a folder";
  return "not a regular file";
}

/**
 * Reads a small file that cnnp wrote, trusting nothing about what is there now: an entry that is
 * not a regular file (a FIFO, which would block for ever; a symbolic link, to /dev/zero say; a
 * socket, a device, a folder) is never opened for reading, and a file over `maxBytes` is not read
 * past that. `why` says what was found instead (without reading it).
 */
export function readSmallFile(
  path: string,
  maxBytes: number,
): { text: string } | { missing: true } | { why: string } {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { missing: true };
    return { why: (e as Error).message };
  }
  if (!st.isFile()) return { why: `${kindOf(st)}, not a regular file: skipped, never read` };
  let fd: number;
  try {
    // No following a link, and no waiting on a FIFO swapped in since the look above.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { missing: true };
    if (code === "ELOOP") return { why: "a symbolic link, not a regular file: skipped, never read" };
    return { why: (e as Error).message };
  }
  try {
    const now = fstatSync(fd);
    if (!now.isFile()) return { why: `${kindOf(now)}, not a regular file: skipped, never read` };
    if (now.size > maxBytes)
      return { why: `${now.size} bytes, more than cnnp writes there (at most ${maxBytes}): not read` };
    // Never more than maxBytes + 1 bytes, whatever the size said (a file still growing).
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes + 1 - total));
      const got = readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0) break;
      chunks.push(chunk.subarray(0, got));
      total += got;
      if (total > maxBytes) return { why: `over ${maxBytes} bytes, more than cnnp writes there: not read` };
    }
    return { text: Buffer.concat(chunks, total).toString("utf8") };
  } catch (e) {
    return { why: (e as Error).message };
  } finally {
    closeSync(fd);
  }
}

/** What the store holds for a job: a valid result, a file that failed the schema, or nothing. */
export type Stored =
  | { kind: "valid"; result: ResultFile }
  | { kind: "invalid"; path: string; why: string }
  | { kind: "missing" };

/**
 * One JSON file per finished job under `dir/jobs/`, named by the job id, written atomically
 * (`writeFileAtomic`), so a crash leaves either the whole previous state or the whole new file.
 */
export class ResultStore {
  readonly jobsDir: string;

  constructor(readonly dir: string) {
    this.jobsDir = join(dir, "jobs");
  }

  path(jobId: string): string {
    return join(this.jobsDir, `${jobId}.json`);
  }

  read(jobId: string): Stored {
    const path = this.path(jobId);
    const read = readSmallFile(path, maxResultBytes);
    if ("missing" in read) return { kind: "missing" };
    if ("why" in read) return { kind: "invalid", path, why: read.why };
    const { text } = read;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      return { kind: "invalid", path, why: `not JSON (${(e as Error).message})` };
    }
    const parsed = resultFile.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        kind: "invalid",
        path,
        why: `${issue?.path.join(".") || "file"}: ${issue?.message ?? "invalid"}`,
      };
    }
    if (parsed.data.job !== jobId)
      return { kind: "invalid", path, why: `holds job ${parsed.data.job}, not ${jobId}` };
    return { kind: "valid", result: parsed.data };
  }

  /**
   * Writes a job's trained model in TensorFlow.js' layers format: `dir/weights/<job>/model.json`
   * and the weights file it names, each atomically, weights first, so a model.json is never read
   * before its weights are whole.
   */
  writeWeights(
    jobId: string,
    files: { modelJson: string; weightsFile: string; weights: Uint8Array },
  ): string {
    const folder = join(this.dir, weightsFolder(jobId));
    writeFileAtomic(join(folder, files.weightsFile), files.weights);
    writeFileAtomic(join(folder, "model.json"), files.modelJson);
    return folder;
  }

  write(result: ResultFile): string {
    const checked = resultFile.parse(result);
    const target = this.path(checked.job);
    writeFileAtomic(target, `${JSON.stringify(checked, null, 1)}\n`);
    return target;
  }

  /** Where a run's checkpoint is kept (a run that continues later: successive halving's candidates). */
  checkpointPath(runId: string): string {
    return join(this.dir, "checkpoints", `${runId}.json`);
  }

  /** A run's checkpoint, if a valid one is kept; an unreadable one is as none (the run trains from its start). */
  readCheckpoint(runId: string): SavedCheckpoint | null {
    const read = readSmallFile(this.checkpointPath(runId), maxCheckpointBytes);
    if (!("text" in read)) return null;
    try {
      const parsed = savedCheckpoint.safeParse(JSON.parse(read.text));
      return parsed.success && parsed.data.run === runId ? parsed.data : null;
    } catch {
      return null;
    }
  }

  writeCheckpoint(saved: SavedCheckpoint): string {
    const target = this.checkpointPath(saved.run);
    writeFileAtomic(target, JSON.stringify(saved));
    return target;
  }

  /**
   * Removes temporary files that a crashed writer left behind (see sweepTemporaries); they are
   * never read as results. Returns how many were removed.
   */
  sweep(): number {
    return sweepTemporaries(this.jobsDir);
  }
}
