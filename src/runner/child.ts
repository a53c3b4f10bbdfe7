/**
 * A worker process: trains the units its parent sends, one at a time, with a TensorFlow.js of its
 * own, and sends back progress and results. It writes no files: the parent does.
 */

import { type Dataset, loadDataset } from "../data/load.js";
import type { Backend } from "../model/index.js";
import type { Job, Run } from "../plan/types.js";
import { loadCheckpoint, saveCheckpoint } from "../store/checkpoint.js";
import { type BackendInfo, BackendUnavailable, selectBackend } from "../train/backends/index.js";
import { host } from "../train/environment.js";
import { layersArtifacts } from "../train/export.js";
import { fitRun } from "../train/fit.js";
import { jobResult } from "../train/job-results.js";
import { version } from "../version.js";
import type { FromWorker, ToWorker } from "./protocol.js";

const parent = process.ppid;
let dataset: Dataset | undefined;
const backends = new Map<Backend, BackendInfo>();
const told = new Set<string>();

/**
 * Whether a unit's weights are kept: all of them, none, or the first repeat's. A run shared by
 * several experiments may be the first repeat of one of them only: it keeps its weights then.
 */
function keepsWeights(save: Run["training"]["saveWeights"], jobs: Job[]): boolean {
  return save === "on" || (save === "first" && jobs.some((j) => j.repeat === 0));
}

function send(m: FromWorker): void {
  process.send?.(m);
}

/** The parent died (kill -9): stop at once rather than train for nobody. */
function orphaned(): boolean {
  return process.ppid !== parent;
}

/**
 * The back end a run trains on, loaded once. `auto` is chosen for each run (a back end may skip
 * a model it has no kernels for), and says once what it skipped and why.
 */
async function backend(want: Backend, run: Run): Promise<BackendInfo> {
  const known = backends.get(want);
  if (known && want !== "auto") return known;
  const selected = await selectBackend(want, { job: { model: run.model, training: run.training } });
  if (want === "auto" && selected.skipped.length > 0) {
    const text = `back end: ${selected.info.name} (auto skipped ${selected.skipped.map((s) => `${s.name}: ${s.why}`).join("; ")})`;
    if (!told.has(text)) send({ type: "notice", text });
    told.add(text);
  }
  backends.set(want, selected.info);
  return selected.info;
}

async function train(m: Extract<ToWorker, { type: "train" }>): Promise<void> {
  const { run, jobs } = m.unit;
  try {
    if (!dataset || dataset.checksum !== m.data.checksum)
      dataset = await loadDataset(run.data, run.data.name === "folder" ? {} : { dir: m.data.dir });
    if (dataset.checksum !== m.data.checksum)
      throw new Error(
        `the data in ${m.data.dir} changed while cnnp ran (checksum ${dataset.checksum}, expected ${m.data.checksum})`,
      );
    const info = await backend(m.backend, run);
    const resume = m.resume ? loadCheckpoint(m.resume) : null;
    if (typeof resume === "string") throw new Error(`the run's checkpoint cannot be read: ${resume}`);
    let last = 0;
    const outcome = await fitRun(
      {
        model: run.model,
        training: run.training,
        data: run.data,
        seed: run.seed,
        epochs: run.epochs,
        evaluateAt: run.evaluateAt,
        ...(keepsWeights(run.training.saveWeights, jobs) ? { saveAt: jobs.map((j) => j.epochs) } : {}),
        ...(resume ? { resume } : {}),
        ...(m.unit.keep ? { keep: true } : {}),
      },
      dataset,
      {
        onBatch: (p) => {
          const now = performance.now();
          if (p.batch !== p.batches && now - last < 200) return;
          if (orphaned()) process.exit(1);
          last = now;
          send({ type: "progress", run: run.id, progress: p });
        },
      },
    );
    const results = await Promise.all(
      jobs.map(async (j) => {
        const r = jobResult(j, run, outcome, info, host());
        const w = outcome.weights.get(r.epochsTrained);
        return w ? { ...r, weights: await layersArtifacts(run.model, w, version) } : r;
      }),
    );
    const checkpoint = outcome.checkpoint ? saveCheckpoint(run.id, outcome.checkpoint) : undefined;
    send({ type: "done", run: run.id, results, ...(checkpoint ? { checkpoint } : {}) });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    send({
      type: "failed",
      run: run.id,
      error: why,
      ...(e instanceof BackendUnavailable ? { unavailable: true } : {}),
    });
  }
}

process.on("message", (m: ToWorker) => {
  if (m.type === "exit") process.exit(0);
  if (m.type === "train") void train(m);
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
