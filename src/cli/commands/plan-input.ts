import type { Backend } from "../../check/types.js";
import { compileFile } from "../../compile.js";
import { loadFashionMnist } from "../../data/fashion-mnist.js";
import { DataError } from "../../data/idx.js";
import { formatDiagnostics } from "../../diagnostics/format.js";
import { plan } from "../../plan/plan.js";
import type { Plan } from "../../plan/types.js";
import type { Io } from "../io.js";

/**
 * A pipeline's plan with the job ids `cnnp run` gave its results, for the commands that read a
 * results folder: or the exit code when the pipeline has problems (1) or `--data` is unreadable (2).
 */
export async function planOfFile(
  file: string,
  opts: { data?: string; backend?: Backend },
  io: Io,
): Promise<{ plan: Plan; source: string } | number> {
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
  return { plan: plan(c.pipeline, { dataChecksum, backend: opts.backend }), source: c.source };
}
