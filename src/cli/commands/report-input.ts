import type { Backend } from "../../check/types.js";
import { compileFile } from "../../compile.js";
import { loadFashionMnist } from "../../data/fashion-mnist.js";
import { DataError } from "../../data/idx.js";
import { formatDiagnostics } from "../../diagnostics/format.js";
import { plan } from "../../plan/plan.js";
import { buildStudy } from "../../report/build.js";
import type { Study } from "../../report/schema.js";
import { ResultStore, type Stored } from "../../store/store.js";
import type { Io } from "../io.js";

export interface ReportOptions {
  results?: string;
  data?: string;
  backend?: Backend;
  templates?: string;
}

/**
 * The report of a pipeline from the results folder, as `cnnp results` and `cnnp site` show it; or
 * an exit code when the pipeline has problems (1) or the data or templates cannot be read (2).
 */
export async function loadStudy(file: string, opts: ReportOptions, io: Io): Promise<Study | number> {
  const c = await compileFile(file);
  if (c.diagnostics.length > 0) io.err(formatDiagnostics(c.diagnostics, file, c.source, { color: io.color }));
  if (!c.pipeline) return 1;
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
  const p = plan(c.pipeline, { dataChecksum, backend: opts.backend });
  const store = new ResultStore(opts.results ?? "results");
  const results = new Map<string, Stored>();
  for (const e of p.experiments)
    for (const j of e.jobs) if (!results.has(j.id)) results.set(j.id, store.read(j.id));
  for (const s of results.values())
    if (s.kind === "invalid") io.err(`${s.path}: not a valid result (${s.why}); shown as missing`);
  try {
    return await buildStudy(p, c.source, results, { templates: opts.templates });
  } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    return 2;
  }
}
