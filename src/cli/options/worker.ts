import { type Command, Option } from "commander";
import { backends, datasets } from "../../model/index.js";
import type { WorkerCommandOptions } from "../commands/worker.js";
import type { Io } from "../io.js";

/** `cnnp worker` and its flags. */
export function addWorkerCommand(program: Command, io: Io, done: (code: number) => void): void {
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
      const { workerCommand } = await import("../commands/worker.js");
      done(await workerCommand(opts, io));
    });
}
