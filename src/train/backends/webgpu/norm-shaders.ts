import { flat, workgroupSum } from "./wgsl.js";

/**
 * Batch normalisation's WGSL kernels (Keras' BatchNormalization over the last axis): x is
 * [rows, channels] with rows = batch x cells. In training the batch's mean and variance (biased, as
 * tf.moments gives it) normalise, and the moving statistics follow them at the layer's momentum;
 * outside training the moving statistics do.
 */

const dims = /* wgsl */ `
struct Dims { rows: u32, channels: u32, epsilon: f32, momentum: f32, train: u32, pad0: u32, pad1: u32, pad2: u32 }
${flat}
${workgroupSum}`;

/**
 * Per channel (one workgroup each): the batch's mean and 1 / sqrt(variance + epsilon) into
 * stats [mean..., invstd...], and the moving mean and variance moved towards them.
 */
const bnStats = /* wgsl */ `${dims}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> stats: array<f32>;
@group(0) @binding(2) var<storage, read_write> movingMean: array<f32>;
@group(0) @binding(3) var<storage, read_write> movingVariance: array<f32>;
@group(0) @binding(4) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = wg.x;
  var s = 0.0;
  for (var r = t; r < d.rows; r += 64u) { s += x[r * d.channels + c]; }
  let mean = total(t, s) / f32(d.rows);
  var q = 0.0;
  for (var r = t; r < d.rows; r += 64u) {
    let v = x[r * d.channels + c] - mean;
    q += v * v;
  }
  let variance = total(t, q) / f32(d.rows);
  if (t == 0u) {
    stats[c] = mean;
    stats[d.channels + c] = 1.0 / sqrt(variance + d.epsilon);
    movingMean[c] = movingMean[c] * d.momentum + mean * (1.0 - d.momentum);
    movingVariance[c] = movingVariance[c] * d.momentum + variance * (1.0 - d.momentum);
  }
}`;

/** y = gamma (x - mean) invstd + beta: the batch's statistics in training, the moving ones outside. */
const bnForward = /* wgsl */ `${dims}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read> movingMean: array<f32>;
@group(0) @binding(5) var<storage, read> movingVariance: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.rows * d.channels) { return; }
  let c = i % d.channels;
  var mean = movingMean[c];
  var invstd = 1.0 / sqrt(movingVariance[c] + d.epsilon);
  if (d.train != 0u) {
    mean = stats[c];
    invstd = stats[d.channels + c];
  }
  y[i] = gamma[c] * (x[i] - mean) * invstd + beta[c];
}`;

/** Per channel (one workgroup each): the gradients of gamma (sum of g x-hat) and beta (sum of g). */
const bnGradParams = /* wgsl */ `${dims}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(4) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(5) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = wg.x;
  let mean = stats[c];
  let invstd = stats[d.channels + c];
  var sg = 0.0;
  var sgx = 0.0;
  for (var r = t; r < d.rows; r += 64u) {
    let j = r * d.channels + c;
    sg += g[j];
    sgx += g[j] * (x[j] - mean) * invstd;
  }
  let b = total(t, sg);
  let a = total(t, sgx);
  if (t == 0u) {
    dgamma[c] = a;
    dbeta[c] = b;
  }
}`;

/** gx = gamma invstd / rows (rows g - dbeta - x-hat dgamma). */
const bnGradInput = /* wgsl */ `${dims}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> dgamma: array<f32>;
@group(0) @binding(5) var<storage, read> dbeta: array<f32>;
@group(0) @binding(6) var<storage, read_write> gx: array<f32>;
@group(0) @binding(7) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.rows * d.channels) { return; }
  let c = i % d.channels;
  let invstd = stats[d.channels + c];
  let xhat = (x[i] - stats[c]) * invstd;
  let n = f32(d.rows);
  gx[i] = gamma[c] * invstd / n * (n * g[i] - dbeta[c] - xhat * dgamma[c]);
}`;

export const normShaders = { bnStats, bnForward, bnGradParams, bnGradInput } as const;
