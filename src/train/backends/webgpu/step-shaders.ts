import { flat } from "./wgsl.js";

/**
 * The WGSL kernels that keep a whole epoch on the GPU: the batch gathered from the data set
 * (uploaded once) through the epoch's order, dropout masks drawn on the GPU, and each step's loss
 * sum and hits kept for one read-back per epoch. A small `cursor` buffer says where the epoch is:
 * [first item of the step, step index in the epoch, steps of the run]; the last dispatch of a step
 * advances it.
 */

/**
 * x[b, p] = pixel p of item order[cursor + b] (or item cursor + b without an order) / 255, and its
 * label. With `augmented`, the epoch's draws for position cursor + b (flip, dx, dy; drawn on the
 * host from the job's augment stream, as every back end draws them) move the image first: flipped
 * left to right, then shifted, zeros where it moved away from (src/train/augment.ts).
 */
const gather = /* wgsl */ `${flat}
struct Dims { n: u32, pixels: u32, ordered: u32, augmented: u32, h: u32, w: u32, c: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> images: array<u32>;
@group(0) @binding(1) var<storage, read> allLabels: array<u32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read> cursor: array<u32>;
@group(0) @binding(4) var<storage, read> draws: array<i32>;
@group(0) @binding(5) var<storage, read_write> x: array<f32>;
@group(0) @binding(6) var<storage, read_write> labels: array<u32>;
@group(0) @binding(7) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.n * d.pixels) { return; }
  let b = i / d.pixels;
  let p = i % d.pixels;
  let position = cursor[0] + b;
  var item = position;
  if (d.ordered != 0u) { item = order[position]; }
  if (p == 0u) { labels[b] = (allLabels[item / 4u] >> ((item % 4u) * 8u)) & 255u; }
  var src = p;
  if (d.augmented != 0u) {
    let k = p % d.c;
    let q = p / d.c;
    let sy = i32(q / d.w) - draws[3u * position + 2u];
    let sx0 = i32(q % d.w) - draws[3u * position + 1u];
    if (sy < 0 || sy >= i32(d.h) || sx0 < 0 || sx0 >= i32(d.w)) {
      x[i] = 0.0;
      return;
    }
    let sx = select(sx0, i32(d.w) - 1 - sx0, draws[3u * position] != 0);
    src = (u32(sy) * d.w + u32(sx)) * d.c + k;
  }
  let at = item * d.pixels + src;
  x[i] = f32((images[at / 4u] >> ((at % 4u) * 8u)) & 255u) / 255.0;
}`;

/**
 * Dropout in training: each unit kept with probability 1 - rate and scaled by 1 / (1 - rate),
 * from a counter-based hash of (the layer's seed, the run's step, the unit), so no state passes
 * between steps and no two steps or layers share a mask; the mask is kept for the gradient.
 * Outside training (train = 0), y = x.
 */
const dropout = /* wgsl */ `${flat}
struct Dims { size: u32, seed: u32, rate: f32, train: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> mask: array<f32>;
@group(0) @binding(3) var<storage, read> cursor: array<u32>;
@group(0) @binding(4) var<uniform> d: Dims;
fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.size) { return; }
  if (d.train == 0u) { y[i] = x[i]; return; }
  let u = f32(pcg(i ^ pcg(cursor[2] ^ pcg(d.seed))) >> 8u) / 16777216.0;
  var m = 0.0;
  if (u >= d.rate) { m = 1.0 / (1.0 - d.rate); }
  mask[i] = m;
  y[i] = x[i] * m;
}`;

/** gx = g times the forward pass's mask. */
const dropoutGrad = /* wgsl */ `${flat}
struct Dims { size: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> mask: array<f32>;
@group(0) @binding(2) var<storage, read_write> gx: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.size) { return; }
  gx[i] = g[i] * mask[i];
}`;

/** stats[2 step] = the batch's summed loss, stats[2 step + 1] = its hits. One invocation. */
const stats = /* wgsl */ `
struct Dims { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read> loss: array<f32>;
@group(0) @binding(1) var<storage, read> hit: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> cursor: array<u32>;
@group(0) @binding(4) var<uniform> d: Dims;
@compute @workgroup_size(1)
fn main() {
  var s = 0.0;
  var h = 0u;
  for (var r = 0u; r < d.n; r++) { s += loss[r]; h += hit[r]; }
  let k = cursor[1];
  out[2u * k] = s;
  out[2u * k + 1u] = f32(h);
}`;

/**
 * The next step: the cursor moves on by the batch, and the epoch's step counts one more; in
 * training the run's count of steps too (never reset: Adam's bias correction reads it). One
 * invocation, the step's last dispatch.
 */
const advance = /* wgsl */ `
struct Dims { n: u32, train: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read_write> cursor: array<u32>;
@group(0) @binding(1) var<uniform> d: Dims;
@compute @workgroup_size(1)
fn main() {
  cursor[0] = cursor[0] + d.n;
  cursor[1] = cursor[1] + 1u;
  if (d.train != 0u) { cursor[2] = cursor[2] + 1u; }
}`;

export const stepShaders = { gather, dropout, dropoutGrad, stats, advance } as const;
