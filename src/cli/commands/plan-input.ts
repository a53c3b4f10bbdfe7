import type { Backend } from "../../check/types.js";
import { compileFile } from "../../compile.js";
import { loadFashionMnist } from "../../data/fashion-mnist.js";
import { DataError } from "../../data/idx.js";
import { formatDiagnostics } from "../../diagnostics/format.js";
import { planWithResults } from "../../execute/contexts.js";
import type { Plan } from "../../plan/types.js";
import { ResultStore, type Stored } from "../../store/store.js";
import type { Io } from "../io.js";

/**
 * A pipeline's plan and its results, for the commands that read a results folder: the job ids are
 * those `cnnp run` used, found from what it recorded in the folder, or from `--data` and
 * `--backend` when given. Or the exit code when the pipeline has problems (1) or `--data` is
 * unreadable (2).
 */
export async function planOfFile(
  file: string,
  opts: { results?: string; data?: string; backend?: Backend },
  io: Io,
): Promise<{ plan: Plan; source: string; store: ResultStore; lookup: (jobId: string) => Stored } | number> {
  const c = await compileFile(file);
  if (c.diagnostics.length > 0) io.err(formatDiagnostics(c.diagnostics, file, c.source, { color: io.color }));
  if (!c.pipeline) return 1;
  const store = new ResultStore(opts.results ?? "results");
  if (opts.data === undefined && opts.backend === undefined)
    return { ...planWithResults(c.pipeline, store), source: c.source, store };
  // Job ids include the data's checksum: the official one unless --data names other files.
  let dataChecksum: string | undefined;
  if (opts.data !== undefined) {
    try {
      dataChecksum = (await loadFashionMnist({ dir: opts.data, download: false })).checksum;
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      io.err(`error: ${e.message}`);
      return 2;
    }
  }
  const explicit = {
    ...(dataChecksum ? { dataChecksum } : {}),
    ...(opts.backend ? { backend: opts.backend } : {}),
  };
  return { ...planWithResults(c.pipeline, store, explicit), source: c.source, store };
}
