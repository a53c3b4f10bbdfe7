import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sweepTemporaries, writeFileAtomic } from "../util/atomic-write.js";
import { type ResultFile, resultFile } from "./schema.js";

/** The folder of a job's trained model (model.json and its weights), relative to the store's. */
export const weightsFolder = (jobId: string) => join("weights", jobId);

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
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
      return { kind: "invalid", path, why: (e as Error).message };
    }
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

  /**
   * Removes temporary files that a crashed writer left behind (see sweepTemporaries); they are
   * never read as results. Returns how many were removed.
   */
  sweep(): number {
    return sweepTemporaries(this.jobsDir);
  }
}
