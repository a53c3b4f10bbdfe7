import { defineCollection } from "astro:content";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
// The shared schemas: the same definitions cnnp writes and checks result files and reports with.
import { study as studySchema } from "../../dist/report/schema.js";
import { resultFile } from "../../dist/store/schema.js";

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: build the site with \`cnnp site FILE\`, not astro directly`);
  return v;
}

function readStudy() {
  const path = need("CNNP_STUDY");
  const parsed = studySchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new Error(`${path}: not a cnnp report (${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

/** One entry per experiment: its rows, curves, charts and conclusion. */
const experiments = defineCollection({
  loader: {
    name: "cnnp-experiments",
    load: async ({ store }) => {
      store.clear();
      for (const e of readStudy().experiments) store.set({ id: e.slug, data: e });
    },
  },
});

/** The study itself (one entry, `study`): title, status and environment. */
const study = defineCollection({
  loader: {
    name: "cnnp-study",
    load: async ({ store }) => {
      const { experiments: _, ...rest } = readStudy();
      store.clear();
      store.set({ id: "study", data: rest });
    },
  },
});

/** Every valid result file of the results folder, parsed with the store's schema. */
const results = defineCollection({
  loader: {
    name: "cnnp-results",
    load: async ({ store, logger }) => {
      const dir = join(need("CNNP_RESULTS_DIR"), "jobs");
      store.clear();
      let files: string[] = [];
      try {
        files = readdirSync(dir).filter((f) => f.endsWith(".json"));
      } catch {
        logger.warn(`${dir}: no results yet`);
      }
      for (const f of files) {
        const parsed = resultFile.safeParse(JSON.parse(readFileSync(join(dir, f), "utf8")));
        if (parsed.success) store.set({ id: parsed.data.job, data: parsed.data });
      }
    },
  },
});

export const collections = { experiments, study, results };
