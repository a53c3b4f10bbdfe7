import { DataError, type Dataset, loadDataset } from "../../data/load.js";
import type { Backend } from "../../model/index.js";
import { buildStudy } from "../../report/build.js";
import type { Study } from "../../report/schema.js";
import { planFromFolder } from "../../run/load.js";
import type { Stored } from "../../store/store.js";
import type { Io } from "../io.js";

export interface ReportOptions {
  results?: string;
  data?: string;
  backend?: Backend;
  templates?: string;
  /** Render the images of what the models learned (for the site): needs the data set. */
  images?: boolean;
}

/**
 * The report of a pipeline from the results folder, as `cnnp results` and `cnnp site` show it; or
 * an exit code when the pipeline has problems (1) or the data or templates cannot be read (2).
 */
export async function loadStudy(file: string, opts: ReportOptions, io: Io): Promise<Study | number> {
  const planned = await planFromFolder(file, opts, io);
  if (typeof planned === "number") return planned;
  const p = planned.plan;
  const results = new Map<string, Stored>();
  for (const e of p.experiments)
    for (const j of e.jobs) if (!results.has(j.id)) results.set(j.id, planned.lookup(j.id));
  for (const s of results.values())
    if (s.kind === "invalid") io.err(`${s.path}: not a valid result (${s.why}); shown as missing`);
  let images: { resultsDir: string; data: Dataset } | undefined;
  if (opts.images)
    try {
      const spec = p.experiments[0]?.configurations[0]?.data ?? { name: "fashion_mnist" as const };
      const data = await loadDataset(spec, { dir: opts.data, download: false });
      images = { resultsDir: planned.store.dir, data };
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      io.err(`note: no images of what the models learned (${e.message})`);
    }
  try {
    return await buildStudy(p, planned.source, results, {
      templates: opts.templates,
      warn: (line) => io.err(`warning: ${line}`),
      ...(images ? { images } : {}),
    });
  } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    return 2;
  }
}
