import { getCollection, getEntry } from "astro:content";
import type { ExperimentReport, Study } from "../../../dist/report/schema.js";
import type { ResultFile } from "../../../dist/store/schema.js";

/** The collections, typed by the shared schemas they were parsed with. */
export async function experiments(): Promise<ExperimentReport[]> {
  const all = await getCollection("experiments");
  return all.map((e) => e.data as unknown as ExperimentReport).sort((a, b) => a.number - b.number);
}

export async function study(): Promise<Omit<Study, "experiments">> {
  const e = await getEntry("study", "study");
  if (!e) throw new Error("the study entry is missing");
  return e.data as unknown as Omit<Study, "experiments">;
}

export async function results(): Promise<ResultFile[]> {
  return (await getCollection("results")).map((r) => r.data as unknown as ResultFile);
}
