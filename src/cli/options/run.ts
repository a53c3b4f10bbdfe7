import { type Command, Option } from "commander";
import { backends } from "../../model/index.js";
import type { RunOptions } from "../commands/run.js";
import type { Io } from "../io.js";

/** `cnnp run` and its flags. */
export function addRunCommand(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command("run")
    .description(
      "train and evaluate the jobs of a pipeline on its data set; print loss, accuracy and time per job",
    )
    .argument("<file>", ".cnnp file")
    .addOption(
      new Option("--backend <name>", "back end for every job, overriding the pipeline").choices([
        ...backends,
      ]),
    )
    .option(
      "--data <dir>",
      "folder with the data set's files (else its environment variable, e.g. FASHION_MNIST_DIR, ~/.cache/cnnp, a system copy, or a download)",
    )
    .option("--only <title>", "run only the experiment with this title")
    .option(
      "--results <dir>",
      "where result files are kept; jobs with a valid result there are not run again",
      "results",
    )
    .option("--workers <n>", "worker processes training at once (default: the number of cores)")
    .option(
      "--queue <url>",
      "put the jobs on a BullMQ queue in Redis (redis://[USER:PASSWORD@]HOST:PORT) for `cnnp worker`s, and collect their results",
    )
    .option("--attempts <n>", "with --queue: tries per training run before it is recorded as failed", "3")
    .option(
      "--redis-password-file <file>",
      "with --queue: a file whose first line is the Redis password (else CNNP_REDIS_PASSWORD, or the URL's)",
    )
    .option(
      "--progress <seconds>",
      "when not on a terminal, print a progress line (jobs, steps, ETA, each run's epoch) this often; 0: never",
      "60",
    )
    .option("--dry-run", "show what would be trained, and train nothing")
    .option("--json", "print one JSON result per job")
    .action(async (file: string, opts: RunOptions) => {
      // Loaded only when needed: TensorFlow.js takes a second to import.
      const { runCommand } = await import("../commands/run.js");
      done(await runCommand(file, opts, io));
    });
}
