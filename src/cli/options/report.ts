import { type Command, Option } from "commander";
import { type Backend, backends } from "../../model/index.js";
import type { Io } from "../io.js";

/** `cnnp status`, `cnnp results` and `cnnp site`: the commands that read a results folder. */
export function addReportCommands(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command("status")
    .description(
      "show, per experiment, how many jobs are done, failed, not available, invalid or missing in the results folder",
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
        const { statusCommand } = await import("../commands/status.js");
        done(await statusCommand(file, opts, io));
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
      const { resultsCommand } = await import("../commands/results.js");
      done(await resultsCommand(file, opts, io));
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
      const { siteCommand } = await import("../commands/site.js");
      done(await siteCommand(file, opts, io));
    });
}
