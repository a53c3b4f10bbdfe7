import type { Command } from "commander";
import { checkCommand } from "../commands/check.js";
import type { Io } from "../io.js";

/** `cnnp check` and `cnnp plan`: the commands that read a pipeline and nothing else. */
export function addPipelineCommands(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command("check")
    .description("check pipeline files; print every problem with its place and a hint")
    .argument("<files...>", ".cnnp files")
    .action(async (files: string[]) => {
      done(await checkCommand(files, io));
    });
  program
    .command("plan")
    .description(
      "show the experiments, configurations, jobs, epochs to train and model summaries of a pipeline",
    )
    .argument("<file>", ".cnnp file")
    .option("--json", "print the plan as JSON")
    .action(async (file: string, opts: { json?: boolean }) => {
      const { planCommand } = await import("../commands/plan.js");
      done(await planCommand(file, opts, io));
    });
}
