import { searchTableOf } from "../../report/search.js";
import { csvOf, markdownOf, tableOf, textOf } from "../../report/tables.js";
import type { Io } from "../io.js";
import { loadStudy, type ReportOptions } from "./report-input.js";

export interface ResultsOptions extends ReportOptions {
  json?: boolean;
  markdown?: boolean;
  csv?: boolean;
}

/** `cnnp results FILE`: the report's tables (and conclusions) in the terminal, as Markdown, CSV or JSON. */
export async function resultsCommand(file: string, opts: ResultsOptions, io: Io): Promise<number> {
  const formats = [opts.json, opts.markdown, opts.csv].filter(Boolean).length;
  if (formats > 1) {
    io.err("error: give one of --json, --markdown and --csv");
    return 2;
  }
  const study = await loadStudy(file, opts, io);
  if (typeof study === "number") return study;
  if (opts.json) {
    io.out(JSON.stringify(study, (k, v) => (k === "svg" ? undefined : v), 1));
    return 0;
  }
  if (opts.csv) {
    io.out(csvOf(study.experiments).trimEnd());
    return 0;
  }
  const blocks = study.experiments.map((e) => {
    // A search's candidates best first (the CSV and JSON keep every metric of each).
    const t = searchTableOf(e) ?? tableOf(e);
    const body = opts.markdown ? markdownOf(t) : textOf(t);
    // The conclusion holds the answers to the experiment's questions.
    const uses = [
      ...e.uses.map((u) => (opts.markdown ? `- ${u.text}` : `uses: ${u.text}`)),
      ...(e.figuresSummary
        ? [opts.markdown ? `- ${e.figuresSummary}` : `published figures: ${e.figuresSummary}`]
        : []),
      ...e.figures.map((f) =>
        opts.markdown ? `  - \`${f.text}\`: ${f.verdict}` : `  ${f.text}: ${f.verdict}`,
      ),
    ];
    return [
      opts.markdown ? `## ${e.title}\n\n${t.caption}\n` : `${e.title}\n${t.caption}`,
      ...(uses.length > 0 ? [...uses, ...(opts.markdown ? [""] : [])] : []),
      body,
      "",
      e.headline,
      ...e.details.map((d) => `- ${d}`),
    ].join("\n");
  });
  io.out(blocks.join("\n\n"));
  io.err(
    `${study.status.ok} of ${study.status.jobs} jobs finished${study.status.failed ? `, ${study.status.failed} failed` : ""}${study.status.missing ? `, ${study.status.missing} missing` : ""}`,
  );
  return 0;
}
