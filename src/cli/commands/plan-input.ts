import { compile, readSource } from "../../compile.js";
import { DataError, loadDataset } from "../../data/load.js";
import { formatDiagnostics } from "../../diagnostics/format.js";
import { planWithResults } from "../../execute/contexts.js";
import type { Backend, CheckedPipeline } from "../../model/index.js";
import type { Plan } from "../../plan/types.js";
import { compileWithAnswers, type PlanAndResults } from "../../report/resolve.js";
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
  const source = await readSource(file);
  const store = new ResultStore(opts.results ?? "results");
  const resolved = (planOf: (p: CheckedPipeline) => PlanAndResults) => {
    const { compiled: c, planned } = compileWithAnswers(source, file, planOf);
    if (c.diagnostics.length > 0) io.err(formatDiagnostics(c.diagnostics, file, source, { color: io.color }));
    return planned ? { ...planned, source, store } : 1;
  };
  if (opts.data === undefined && opts.backend === undefined)
    return resolved((p) => planWithResults(p, store));
  // Job ids include the data's checksum: the official one unless --data names other files.
  let dataChecksum: string | undefined;
  if (opts.data !== undefined) {
    try {
      const spec = compile(source, file).pipeline?.experiments[0]?.configurations[0]?.data;
      dataChecksum = (
        await loadDataset(spec ?? { name: "fashion_mnist" }, { dir: opts.data, download: false })
      ).checksum;
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
  return resolved((p) => planWithResults(p, store, explicit));
}
