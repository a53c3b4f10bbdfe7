import { readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { officialChecksumOf } from "../data/official.js";
import type { CheckedPipeline, DatasetName } from "../model/index.js";
import { backends } from "../model/index.js";
import { contentHash } from "../plan/hash.js";
import { type PlanOptions, plan } from "../plan/plan.js";
import type { Plan } from "../plan/types.js";
import { type ResultStore, readSmallFile, type Stored } from "../store/store.js";
import { writeFileAtomic } from "../util/atomic-write.js";

/**
 * What `cnnp run` trained under besides the pipeline itself: the `--backend` override and the data's
 * checksum. Both enter every job id, so a report must know them to find the results. `cnnp run`
 * records each one in the results folder (`contexts/<hash>.json`); `status`, `results` and `site`
 * read them back, so no flag has to be repeated.
 */
const context = z.object({
  /** `cnnp run --backend`, or null when the pipeline's own back end was used. */
  backend: z.enum(backends).nullable(),
  /** The data read: where from, its checksum, and whether it is the official data set. */
  data: z.object({ dir: z.string(), checksum: z.string(), official: z.boolean() }),
  /** When a `cnnp run` last started under it (ISO time). */
  usedAt: z.string(),
});
export type RunContext = z.infer<typeof context>;

const folder = (store: ResultStore) => join(store.dir, "contexts");

/** The plan options that give a context's job ids. */
export function planOptions(c: Pick<RunContext, "backend" | "data">): PlanOptions {
  return { dataChecksum: c.data.checksum, ...(c.backend ? { backend: c.backend } : {}) };
}

/** Records that a run starts under this context (one small file per context, written atomically). */
export function recordContext(store: ResultStore, c: Omit<RunContext, "usedAt">): void {
  const name = contentHash({ backend: c.backend, checksum: c.data.checksum });
  const file: RunContext = { ...c, usedAt: new Date().toISOString() };
  writeFileAtomic(join(folder(store), `${name}.json`), `${JSON.stringify(file, null, 1)}\n`);
}

/** The contexts runs used in this results folder, the most recent first (unreadable files skipped). */
export function recordedContexts(store: ResultStore): RunContext[] {
  let names: string[];
  try {
    names = readdirSync(folder(store)).filter((n) => /^[0-9a-f]+\.json$/.test(n));
  } catch {
    return [];
  }
  const found: RunContext[] = [];
  for (const n of names) {
    try {
      // Never a FIFO, a link or a huge file: a context file is a few hundred bytes.
      const read = readSmallFile(join(folder(store), n), 64 * 1024);
      if (!("text" in read)) continue;
      const parsed = context.safeParse(JSON.parse(read.text));
      if (parsed.success) found.push(parsed.data);
    } catch {
      // A context file that cannot be read only means its results are not looked for.
    }
  }
  return found.sort((a, b) => b.usedAt.localeCompare(a.usedAt));
}

/** The context of a plan made with no flags: the official data set and the pipeline's back ends. */
export function defaultContext(data: DatasetName = "fashion_mnist"): Pick<RunContext, "backend" | "data"> {
  return {
    backend: null,
    data: { dir: "", checksum: officialChecksumOf(data), official: data !== "folder" },
  };
}

/** The data set a checked pipeline reads (the checker allows one). */
export function pipelineData(p: CheckedPipeline): DatasetName {
  return p.experiments[0]?.configurations[0]?.data.name ?? "fashion_mnist";
}

/**
 * Where to look for a pipeline's results: the recorded contexts, most recent first, then the
 * default one (each once).
 */
export function contextsToSearch(
  store: ResultStore,
  data: DatasetName = "fashion_mnist",
): Pick<RunContext, "backend" | "data">[] {
  const all = [...recordedContexts(store), defaultContext(data)];
  const seen = new Set<string>();
  return all.filter((c) => {
    const key = `${c.backend}:${c.data.checksum}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Finds each job's result across several plans of one pipeline (one per context, in order of
 * preference; their experiments and jobs correspond one to one). The result is keyed by the first
 * plan's job ids: a valid ok result from the first context that has one, else what the first
 * context that has anything holds (failed or invalid), else missing.
 */
export function lookAcross(jobIdsPerPlan: string[][], read: (id: string) => Stored): Map<string, Stored> {
  const out = new Map<string, Stored>();
  const first = jobIdsPerPlan[0] ?? [];
  first.forEach((id, i) => {
    if (out.has(id)) return;
    let fallback: Stored = { kind: "missing" };
    for (const ids of jobIdsPerPlan) {
      const other = ids[i];
      if (other === undefined) continue;
      const s = read(other);
      if (s.kind === "valid" && s.result.status === "ok") {
        fallback = s;
        break;
      }
      if (fallback.kind === "missing") fallback = s;
    }
    out.set(id, fallback);
  });
  return out;
}

/**
 * A pipeline's plan and where its results are: under the given plan options when the user gave
 * `--data` or `--backend`, else under every context `cnnp run` recorded in the folder (most recent
 * first), so `cnnp status`, `results` and `site` need no flag repeated.
 */
export function planWithResults(
  pipeline: CheckedPipeline,
  store: ResultStore,
  explicit?: PlanOptions,
): { plan: Plan; lookup: (jobId: string) => Stored } {
  if (explicit) return { plan: plan(pipeline, explicit), lookup: (id) => store.read(id) };
  const plans = contextsToSearch(store, pipelineData(pipeline)).map((c) => plan(pipeline, planOptions(c)));
  const found = lookAcross(
    plans.map((p) => p.experiments.flatMap((e) => e.jobs.map((j) => j.id))),
    (id) => store.read(id),
  );
  return { plan: plans[0] as Plan, lookup: (id) => found.get(id) ?? store.read(id) };
}
