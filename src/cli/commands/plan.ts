import { compileFile } from "../../compile.js";
import { formatDiagnostics } from "../../diagnostics/format.js";
import { planToJson, planToText } from "../../plan/format.js";
import { plan } from "../../plan/plan.js";
import type { Io } from "../io.js";

/** `cnnp plan FILE [--json]`: experiments, configurations, jobs, epochs and model summaries. */
export async function planCommand(file: string, opts: { json?: boolean }, io: Io): Promise<number> {
  const c = await compileFile(file);
  if (c.diagnostics.length > 0) io.err(formatDiagnostics(c.diagnostics, file, c.source, { color: io.color }));
  if (!c.pipeline) return 1;
  const p = plan(c.pipeline);
  io.out(opts.json ? JSON.stringify(planToJson(p), null, 2) : planToText(p));
  return 0;
}
