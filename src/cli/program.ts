import { Command, CommanderError, Option } from "commander";
import { FileError } from "../compile.js";
import { type Backend, backends, datasets } from "../model/index.js";
import { version } from "../version.js";
import { checkCommand } from "./commands/check.js";
import { planCommand } from "./commands/plan.js";
import type { RunOptions } from "./commands/run.js";
import type { WorkerCommandOptions } from "./commands/worker.js";
import type { Io } from "./io.js";

/** Exit codes: 0 success, 1 problems in the input (diagnostics), 2 wrong usage. */
export async function main(argv: string[], io: Io): Promise<number> {
  let code = 0;
  const program = new Command()
    .name("cnnp")
    .description(
      "Run convolutional-network experiments written as .cnnp pipelines, and publish them as documents.",
    )
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError("(run cnnp --help for usage)");
  program
    .command("check")
    .description("check pipeline files; print every problem with its place and a hint")
    .argument("<files...>", ".cnnp files")
    .action(async (files: string[]) => {
      code = await checkCommand(files, io);
    });
  program
    .command("plan")
    .description(
      "show the experiments, configurations, jobs, epochs to train and model summaries of a pipeline",
    )
    .argument("<file>", ".cnnp file")
    .option("--json", "print the plan as JSON")
    .action(async (file: string, opts: { json?: boolean }) => {
      code = await planCommand(file, opts, io);
    });
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
      const { runCommand } = await import("./commands/run.js");
      code = await runCommand(file, opts, io);
    });
  program
    .command("worker")
    .description(
      "train the runs that `cnnp run --queue` put on a Redis queue, on this machine, until stopped",
    )
    .requiredOption("--queue <url>", "the Redis of the queue: redis://[USER:PASSWORD@]HOST:PORT[/DB]")
    .addOption(
      new Option("--backend <name>", "back end for runs that leave it to the machine (auto)").choices([
        ...backends,
      ]),
    )
    .option(
      "--redis-password-file <file>",
      "a file whose first line is the Redis password (else CNNP_REDIS_PASSWORD, or the URL's)",
    )
    .option("--concurrency <n>", "runs trained at once, each on a process of its own", "1")
    .addOption(
      new Option("--dataset <name>", "the data set this worker serves (runs of another are refused)")
        .choices(datasets.filter((d) => d !== "folder"))
        .default("fashion_mnist"),
    )
    .option(
      "--data <dir>",
      "folder with the data set's files (else its environment variable, ~/.cache/cnnp, a system copy, or a download)",
    )
    .option(
      "--stall-timeout <seconds>",
      "how long a worker may go silent (killed, cut off) before another takes over its run",
      "30",
    )
    .action(async (opts: WorkerCommandOptions) => {
      const { workerCommand } = await import("./commands/worker.js");
      code = await workerCommand(opts, io);
    });
  program
    .command("status")
    .description(
      "show, per experiment, how many jobs are done, failed, invalid or missing in the results folder",
    )
    .argument("<file>", ".cnnp file")
    .option("--results <dir>", "the results folder", "results")
    .option("--data <dir>", "the data folder the jobs ran on, when not the official files")
    .addOption(
      new Option("--backend <name>", "the back end given to cnnp run --backend").choices([...backends]),
    )
    .option("--json", "print the counts as JSON")
    .action(
      async (file: string, opts: { results?: string; json?: boolean; data?: string; backend?: Backend }) => {
        const { statusCommand } = await import("./commands/status.js");
        code = await statusCommand(file, opts, io);
      },
    );
  const reportOptions = (cmd: Command) =>
    cmd
      .option("--results <dir>", "the results folder", "results")
      .option("--data <dir>", "the data folder the jobs ran on, when not the official files")
      .addOption(
        new Option("--backend <name>", "the back end given to cnnp run --backend").choices([...backends]),
      )
      .option(
        "--templates <dir>",
        "a folder of <kind>.hbs files replacing the built-in conclusion templates",
      );
  reportOptions(
    program
      .command("results")
      .description("print each experiment's table, conclusion and answers from the results folder")
      .argument("<file>", ".cnnp file"),
  )
    .option("--json", "the whole report as JSON")
    .option("--markdown", "tables as Markdown")
    .option("--csv", "tables as CSV")
    .action(async (file: string, opts: Record<string, string | boolean | undefined>) => {
      const { resultsCommand } = await import("./commands/results.js");
      code = await resultsCommand(file, opts, io);
    });
  reportOptions(
    program
      .command("site")
      .description(
        "build the static report site (Astro): one page per experiment, the environment, CSV tables",
      )
      .argument("<file>", ".cnnp file"),
  )
    .option("--out <dir>", "where the site is written", "site-out")
    .option("--base <path>", "the URL path the site is served under, e.g. /study/", "/")
    .option("--serve", "after building, serve the site on localhost to preview it")
    .option("--port <n>", "port for --serve", "4321")
    .action(async (file: string, opts: Record<string, string | boolean | undefined>) => {
      const { siteCommand } = await import("./commands/site.js");
      code = await siteCommand(file, opts, io);
    });
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
