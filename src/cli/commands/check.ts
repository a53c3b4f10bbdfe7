import { compileFile } from "../../compile.js";
import { formatDiagnostics } from "../../diagnostics/format.js";
import type { Io } from "../io.js";

/** `cnnp check FILE...`: 0 when every file is clean, 1 when any has errors. */
export async function checkCommand(files: string[], io: Io): Promise<number> {
  let failed = false;
  for (const file of files) {
    const c = await compileFile(file);
    if (c.diagnostics.length > 0)
      io.err(formatDiagnostics(c.diagnostics, file, c.source, { color: io.color }));
    if (c.pipeline) {
      const e = c.pipeline.experiments;
      const configs = e.reduce((n, x) => n + x.configurations.length, 0);
      io.out(
        `${file}: ok (${e.length} experiment${e.length === 1 ? "" : "s"}, ${configs} configuration${configs === 1 ? "" : "s"})`,
      );
    } else failed = true;
  }
  return failed ? 1 : 0;
}
