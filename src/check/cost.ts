import { bounds } from "../bounds.js";
import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import type { Summary } from "../layers/summary.js";
import type { ModelSpec } from "../model/index.js";
import { grouped } from "./settings.js";

/** Images evaluated at once on the test set (train/fit.ts): their forward pass is held whole. */
const evaluationBatch = 500;

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Bytes as people read them: 1.5 GiB. */
export function bytesText(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} bytes` : `${v.toFixed(1)} ${units[u]}`;
}

/**
 * A model with more parameters than one job may train: an error at the layer that holds the
 * most of them (`origins[i]` is where layer i was written).
 */
export function tooManyParameters(model: ModelSpec, summary: Summary, origins: Span[]): Diagnostic | null {
  if (summary.totalParams <= bounds.parameters) return null;
  // The model's own layers (a block's row counts its layers), as `origins` lists them.
  const rows = summary.rows.filter((r) => !r.depth);
  let worst = 0;
  rows.forEach((r, i) => {
    if (r.params > (rows[worst]?.params ?? 0)) worst = i;
  });
  const at = origins[worst] ?? origins[0];
  if (!at) return null;
  return error(
    "E132",
    at,
    `'${model.name}' has ${grouped(summary.totalParams)} parameters (this layer ${grouped(rows[worst]?.params ?? 0)}); a model may have at most ${grouped(bounds.parameters)}`,
  );
}

/** The index of the layer with the largest output. */
export function largestLayer(summary: Summary): number {
  const rows = summary.rows.filter((r) => !r.depth);
  let best = 0;
  rows.forEach((r, i) => {
    if (size(r.outputShape) > size(rows[best]?.outputShape ?? [])) best = i;
  });
  return best;
}

/** What one job holds in memory besides the model: its data and its batch. */
export interface JobShape {
  /** Images per training step (the batch, or the whole training slice when smaller). */
  batch: number;
  /** Test images (evaluated `evaluationBatch` at a time). */
  test: number;
  /** Images the data set loads (one byte per pixel and channel). */
  loaded: number;
}

/**
 * An estimate of the memory one job's training needs, in bytes: float32 parameters four times
 * (weights, gradients, and up to two optimizer slots), every layer's output for each image of a
 * batch twice (the values, and their gradients in the backward pass) or for an evaluation batch
 * once, and the loaded images.
 */
export function jobMemory(model: ModelSpec, summary: Summary, job: JobShape): number {
  const perImage = size(model.input) + summary.rows.reduce((a, r) => a + size(r.outputShape), 0);
  const images = Math.max(2 * job.batch, Math.min(evaluationBatch, job.test));
  return 4 * (4 * summary.totalParams + perImage * images) + job.loaded * size(model.input);
}

/** A job that would need more memory than one job may use, as an error at `at`. */
export function tooMuchMemory(
  model: ModelSpec,
  summary: Summary,
  job: JobShape,
  at: Span,
  batchWritten: number,
): Diagnostic | null {
  const bytes = jobMemory(model, summary, job);
  if (bytes <= bounds.jobMemoryBytes) return null;
  return error(
    "E132",
    at,
    `training '${model.name}' with batch ${grouped(batchWritten)} would need about ${bytesText(bytes)} of memory (estimated); one job may use at most ${bytesText(bounds.jobMemoryBytes)}`,
  );
}
