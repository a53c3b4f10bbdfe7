import { planToJson, planToText } from "../../plan/format.js";
import { planAsWritten } from "../../run/load.js";
import type { Io } from "../io.js";

/** `cnnp plan FILE [--json]`: experiments, configurations, jobs, epochs and model summaries. */
export async function planCommand(file: string, opts: { json?: boolean }, io: Io): Promise<number> {
  const p = await planAsWritten(file, io);
  if (typeof p === "number") return p;
  io.out(opts.json ? JSON.stringify(planToJson(p), null, 2) : planToText(p));
  return 0;
}
