import { Command, CommanderError } from "commander";
import { FileError } from "../compile.js";
import { version } from "../version.js";
import type { Io } from "./io.js";
import { addPipelineCommands } from "./options/pipeline.js";
import { addReportCommands } from "./options/report.js";
import { addRunCommand } from "./options/run.js";
import { addWorkerCommand } from "./options/worker.js";

/** Exit codes: 0 success, 1 problems in the input (diagnostics), 2 wrong usage. */
export async function main(argv: string[], io: Io): Promise<number> {
  let code = 0;
  const done = (c: number) => {
    code = c;
  };
  const program = new Command()
    .name("cnnp")
    .description(
      "Run convolutional-network experiments written as .cnnp pipelines, and publish them as documents.",
    )
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError("(run cnnp --help for usage)");
  addPipelineCommands(program, io, done);
  addRunCommand(program, io, done);
  addWorkerCommand(program, io, done);
  addReportCommands(program, io, done);
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      )
        return 0;
      if (e.code === "commander.executeSubCommandAsync") return 0;
      return 2;
    }
    if (e instanceof FileError) {
      io.err(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
