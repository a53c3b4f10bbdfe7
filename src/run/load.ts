import { type Compiled, compileFile } from "../compile.js";
import { formatDiagnostics } from "../diagnostics/format.js";
import { planWithResults } from "../execute/contexts.js";
import type { Backend } from "../model/index.js";
import type { PlanOptions } from "../plan/plan.js";
import { plan } from "../plan/plan.js";
import type { Plan } from "../plan/types.js";
import { ResultStore, type Stored } from "../store/store.js";
import type { Messages } from "./output.js";
import { planWithAnswers } from "./resolve.js";

/**
 * The one plan loader. Every command reads and compiles its pipeline once, here; `cnnp plan` plans
 * it as written, and the commands that read a results folder (`run`, `status`, `results`, `site`)
 * plan it with the answers the results give (see planWithAnswers).
 */

/** A pipeline file, read and compiled (without answers): the diagnostics to show, and the pipeline. */
export function loadPipeline(file: string): Promise<Compiled> {
  return compileFile(file);
}

/**
 * `cnnp plan`: the plan of the pipeline as written, with the official data's checksums and no
 * results read (configurations that use another experiment's answer wait); or 1 after printing
 * the pipeline's errors.
 */
export async function planAsWritten(file: string, say: Messages): Promise<Plan | number> {
  const c = await loadPipeline(file);
  if (c.diagnostics.length > 0)
    say.err(formatDiagnostics(c.diagnostics, file, c.source, { color: say.color }));
  return c.pipeline ? plan(c.pipeline) : 1;
}

/** What a command that reads a results folder is told of where the results are. */
export interface FolderOptions {
  results?: string;
  /** The data the jobs ran on, when not the official files. */
  data?: string;
  backend?: Backend;
}

/** A pipeline's plan and its results folder, and how to find each job's result there. */
export interface PlannedWithResults {
  plan: Plan;
  source: string;
  store: ResultStore;
  lookup: (jobId: string) => Stored;
}

/**
 * A pipeline's plan and its results, for the commands that read a results folder: the job ids are
 * those `cnnp run` used, found from what it recorded in the folder, or from `--data` and
 * `--backend` when given. Or the exit code when the pipeline has problems (1) or `--data` is
 * unreadable (2), after printing why.
 */
export async function planFromFolder(
  file: string,
  opts: FolderOptions,
  say: Messages,
): Promise<PlannedWithResults | number> {
  const first = await loadPipeline(file);
  const store = new ResultStore(opts.results ?? "results");
  const explicit = await explicitOptions(first, opts, say);
  if (typeof explicit === "number") return explicit;
  const { compiled: c, planned } = planWithAnswers(first, (p) => planWithResults(p, store, explicit));
  if (c.diagnostics.length > 0)
    say.err(formatDiagnostics(c.diagnostics, file, c.source, { color: say.color }));
  return planned ? { ...planned, source: first.source, store } : 1;
}

/**
 * The plan options `--data` and `--backend` give: job ids include the data's checksum (the
 * official one unless --data names other files) and the back end. Undefined with neither flag
 * (the contexts recorded in the folder are searched); 2 when --data cannot be read.
 */
async function explicitOptions(
  first: Compiled,
  opts: FolderOptions,
  say: Messages,
): Promise<PlanOptions | undefined | number> {
  if (opts.data === undefined && opts.backend === undefined) return undefined;
  let dataChecksum: string | undefined;
  if (opts.data !== undefined) {
    // The data loaders are read only when --data needs them (`cnnp plan` starts faster).
    const { DataError, loadDataset } = await import("../data/load.js");
    try {
      const spec = first.pipeline?.experiments[0]?.configurations[0]?.data;
      dataChecksum = (
        await loadDataset(spec ?? { name: "fashion_mnist" }, { dir: opts.data, download: false })
      ).checksum;
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      say.err(`error: ${e.message}`);
      return 2;
    }
  }
  return {
    ...(dataChecksum ? { dataChecksum } : {}),
    ...(opts.backend ? { backend: opts.backend } : {}),
  };
}
