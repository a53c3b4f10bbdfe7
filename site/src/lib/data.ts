import { getCollection, getEntry } from "astro:content";

/**
 * The report's collections (see ../content.config.ts), typed by the shared schemas they were
 * parsed with.
 */
export async function experiments() {
  const all = await getCollection("experiments");
  return all.map((e) => e.data).sort((a, b) => a.number - b.number);
}

export async function study() {
  const e = await getEntry("study", "study");
  if (!e) throw new Error("the study entry is missing");
  return e.data;
}
