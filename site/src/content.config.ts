import { defineCollection } from "astro:content";
import { readFileSync } from "node:fs";
import { z } from "astro/zod";
import type { z as z4 } from "zod";
// The shared schemas: the same definitions cnnp writes and checks reports with.
import { experimentReport, study as studySchema } from "../../dist/report/schema.js";

/**
 * The site's one input is the report `cnnp site` writes (CNNP_STUDY), computed from the plan's
 * results only: the pages show nothing the report does not.
 */
function readStudy() {
  const path = process.env.CNNP_STUDY;
  if (!path)
    throw new Error("CNNP_STUDY is not set: build the site with `cnnp site FILE`, not astro directly");
  const parsed = studySchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new Error(`${path}: not a cnnp report (${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

/**
 * A collection schema Astro's content layer understands (its zod is zod 3, cnnp's zod 4) that
 * parses with one of cnnp's shared schemas: an entry's data is what that schema outputs, and
 * `getCollection` types it so.
 */
function shared<S extends z4.ZodType>(schema: S) {
  return z.unknown().transform((data, ctx): z4.output<S> => {
    const parsed = schema.safeParse(data);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: issue.path.map(String), message: issue.message });
    return z.NEVER;
  });
}

/** One entry per experiment: its rows, curves, answers, charts and conclusion. */
const experiments = defineCollection({
  schema: shared(experimentReport),
  loader: {
    name: "cnnp-experiments",
    load: async ({ store, parseData }) => {
      store.clear();
      for (const e of readStudy().experiments)
        store.set({ id: e.slug, data: await parseData({ id: e.slug, data: e }) });
    },
  },
});

/** The study itself (one entry, `study`): file, title, status and environment. */
const study = defineCollection({
  schema: shared(studySchema.omit({ experiments: true })),
  loader: {
    name: "cnnp-study",
    load: async ({ store, parseData }) => {
      const { experiments: _, ...rest } = readStudy();
      store.clear();
      store.set({ id: "study", data: await parseData({ id: "study", data: rest }) });
    },
  },
});

export const collections = { experiments, study };
