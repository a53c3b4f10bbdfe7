import { flat, windowAxis, workgroupSum } from "./wgsl.js";

/**
 * The WGSL kernels of the WebGPU back end's image layers: convolution (with its bias and relu),
 * its two gradients, and max pooling with its gradient. Images are NHWC float32, filters
 * [kh, kw, ci, co] as TensorFlow.js keeps them; a window's geometry (Keras' padding) comes in a
 * uniform of 16 words. One invocation per output element, tested against float64 on SwiftShader
 * (test/webgpu/image-kernels.test.ts).
 */

/** The window's geometry, as src/layers/window.ts computes it (nativeWindow), and the batch. */
const geometry = /* wgsl */ `
struct Dims { n: u32, h: u32, w: u32, c: u32, oh: u32, ow: u32, co: u32, kh: u32,
  kw: u32, sh: u32, sw: u32, pt: u32, pl: u32, relu: u32, mult: u32, pad1: u32 }
${flat}
${windowAxis}`;

/** y = x * f + bias, then relu when asked. */
const convForward = /* wgsl */ `${geometry}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.n * d.oh * d.ow * d.co) { return; }
  let o = i % d.co;
  var r = i / d.co;
  let ox = r % d.ow;
  r = r / d.ow;
  let oy = r % d.oh;
  let b = r / d.oh;
  var s = bias[o];
  for (var ky = 0u; ky < d.kh; ky++) {
    let yy = tap(oy, ky, d.sh, d.pt, d.h);
    if (yy < 0) { continue; }
    for (var kx = 0u; kx < d.kw; kx++) {
      let xx = tap(ox, kx, d.sw, d.pl, d.w);
      if (xx < 0) { continue; }
      let xb = ((b * d.h + u32(yy)) * d.w + u32(xx)) * d.c;
      let fb = (ky * d.kw + kx) * d.c * d.co + o;
      for (var ci = 0u; ci < d.c; ci++) { s += x[xb + ci] * f[fb + ci * d.co]; }
    }
  }
  if (d.relu != 0u) { s = max(s, 0.0); }
  y[i] = s;
}`;

/** gx[b, y, x, ci] = the sum of g over the outputs whose window covers (y, x), times the filter. */
const convGradInput = /* wgsl */ `${geometry}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read_write> gx: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.n * d.h * d.w * d.c) { return; }
  let ci = i % d.c;
  var r = i / d.c;
  let px = r % d.w;
  r = r / d.w;
  let py = r % d.h;
  let b = r / d.h;
  var s = 0.0;
  for (var ky = 0u; ky < d.kh; ky++) {
    let ty = covering(py, ky, d.sh, d.pt, d.oh);
    if (ty < 0) { continue; }
    let oy = u32(ty);
    for (var kx = 0u; kx < d.kw; kx++) {
      let tx = covering(px, kx, d.sw, d.pl, d.ow);
      if (tx < 0) { continue; }
      let ox = u32(tx);
      let gb = ((b * d.oh + oy) * d.ow + ox) * d.co;
      let fb = ((ky * d.kw + kx) * d.c + ci) * d.co;
      for (var o = 0u; o < d.co; o++) { s += g[gb + o] * f[fb + o]; }
    }
  }
  gx[i] = s;
}`;

/**
 * gf[ky, kx, ci, o] = the sum over the batch and the outputs of x under the window times g: one
 * workgroup per filter value, its 64 invocations splitting the batch's outputs, summed in
 * workgroup memory (a filter has too few values for one invocation each to fill a GPU).
 */
const convGradFilter = /* wgsl */ `${geometry}
${workgroupSum}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> gf: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let i = wg.x + wg.y * 65535u;
  let inside = i < d.kh * d.kw * d.c * d.co;
  let o = i % d.co;
  var r = i / d.co;
  let ci = r % d.c;
  r = r / d.c;
  let kx = r % d.kw;
  let ky = r / d.kw;
  var s = 0.0;
  let taps = select(0u, d.n * d.oh * d.ow, inside);
  for (var p = t; p < taps; p += 64u) {
    let ox = p % d.ow;
    let q = p / d.ow;
    let oy = q % d.oh;
    let b = q / d.oh;
    let yy = tap(oy, ky, d.sh, d.pt, d.h);
    let xx = tap(ox, kx, d.sw, d.pl, d.w);
    if (yy < 0 || xx < 0) { continue; }
    s += x[((b * d.h + u32(yy)) * d.w + u32(xx)) * d.c + ci] * g[p * d.co + o];
  }
  let sum = total(t, s);
  if (inside && t == 0u) { gf[i] = sum; }
}`;

/** y = the window's maximum (padding never wins), and where it was (its first place) in arg. */
const maxPool = /* wgsl */ `${geometry}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> arg: array<u32>;
@group(0) @binding(3) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.n * d.oh * d.ow * d.c) { return; }
  let c = i % d.c;
  var r = i / d.c;
  let ox = r % d.ow;
  r = r / d.ow;
  let oy = r % d.oh;
  let b = r / d.oh;
  var best = -3.4e38;
  var at = 0xffffffffu;
  for (var ky = 0u; ky < d.kh; ky++) {
    let yy = tap(oy, ky, d.sh, d.pt, d.h);
    if (yy < 0) { continue; }
    for (var kx = 0u; kx < d.kw; kx++) {
      let xx = tap(ox, kx, d.sw, d.pl, d.w);
      if (xx < 0) { continue; }
      let j = ((b * d.h + u32(yy)) * d.w + u32(xx)) * d.c + c;
      if (at == 0xffffffffu || x[j] > best) { best = x[j]; at = j; }
    }
  }
  y[i] = best;
  arg[i] = at;
}`;

/** gx[j] = the sum of g over the windows whose maximum was at j. */
const maxPoolGrad = /* wgsl */ `${geometry}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> arg: array<u32>;
@group(0) @binding(2) var<storage, read_write> gx: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.n * d.h * d.w * d.c) { return; }
  let c = i % d.c;
  var r = i / d.c;
  let px = r % d.w;
  r = r / d.w;
  let py = r % d.h;
  let b = r / d.h;
  var s = 0.0;
  for (var ky = 0u; ky < d.kh; ky++) {
    let ty = covering(py, ky, d.sh, d.pt, d.oh);
    if (ty < 0) { continue; }
    let oy = u32(ty);
    for (var kx = 0u; kx < d.kw; kx++) {
      let tx = covering(px, kx, d.sw, d.pl, d.ow);
      if (tx < 0) { continue; }
      let ox = u32(tx);
      let o = ((b * d.oh + oy) * d.ow + ox) * d.c + c;
      if (arg[o] == i) { s += g[o]; }
    }
  }
  gx[i] = s;
}`;

export const imageShaders = { convForward, convGradInput, convGradFilter, maxPool, maxPoolGrad } as const;

/** A window over a batch, by the names of the native step's descriptors (src/layers/window.ts). */
export interface Window {
  n: number;
  h: number;
  w: number;
  c: number;
  oh: number;
  ow: number;
  /** Output maps (a pool keeps c). */
  co: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  relu?: boolean;
  /** A depthwise convolution's kernels per input channel. */
  mult?: number;
}

/** The uniform's 16 words of a window. */
export const windowWords = (g: Window): number[] => [
  g.n,
  g.h,
  g.w,
  g.c,
  g.oh,
  g.ow,
  g.co,
  g.kh,
  g.kw,
  g.sh,
  g.sw,
  g.pt,
  g.pl,
  g.relu ? 1 : 0,
  g.mult ?? 0,
  0,
];

/** y = the mean of the window's pixels inside the image (padding is not counted, as TensorFlow does). */
const avgPool = /* wgsl */ `${geometry}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.n * d.oh * d.ow * d.c) { return; }
  let c = i % d.c;
  var r = i / d.c;
  let ox = r % d.ow;
  r = r / d.ow;
  let oy = r % d.oh;
  let b = r / d.oh;
  var s = 0.0;
  var count = 0u;
  for (var ky = 0u; ky < d.kh; ky++) {
    let yy = tap(oy, ky, d.sh, d.pt, d.h);
    if (yy < 0) { continue; }
    for (var kx = 0u; kx < d.kw; kx++) {
      let xx = tap(ox, kx, d.sw, d.pl, d.w);
      if (xx < 0) { continue; }
      s += x[((b * d.h + u32(yy)) * d.w + u32(xx)) * d.c + c];
      count++;
    }
  }
  y[i] = s / f32(max(count, 1u));
}`;

/** Counts the pixels of output (oy, ox)'s window inside the image. */
const windowCount = /* wgsl */ `
fn inside(o: u32, s: u32, k: u32, p: u32, size: u32) -> u32 {
  let lo = max(i32(o * s) - i32(p), 0);
  let hi = min(i32(o * s + k) - i32(p), i32(size));
  return u32(max(hi - lo, 0));
}`;

/** gx[j] = the sum over the windows holding j of g over the window's count. */
const avgPoolGrad = /* wgsl */ `${geometry}
${windowCount}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read_write> gx: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.n * d.h * d.w * d.c) { return; }
  let c = i % d.c;
  var r = i / d.c;
  let px = r % d.w;
  r = r / d.w;
  let py = r % d.h;
  let b = r / d.h;
  var s = 0.0;
  for (var ky = 0u; ky < d.kh; ky++) {
    let ty = covering(py, ky, d.sh, d.pt, d.oh);
    if (ty < 0) { continue; }
    let oy = u32(ty);
    for (var kx = 0u; kx < d.kw; kx++) {
      let tx = covering(px, kx, d.sw, d.pl, d.ow);
      if (tx < 0) { continue; }
      let ox = u32(tx);
      let count = inside(oy, d.sh, d.kh, d.pt, d.h) * inside(ox, d.sw, d.kw, d.pl, d.w);
      s += g[((b * d.oh + oy) * d.ow + ox) * d.c + c] / f32(count);
    }
  }
  gx[i] = s;
}`;

/** y[b, c] = the mean over the image's cells of x[b, cell, c] (Keras' GlobalAveragePooling2D). */
const globalPool = /* wgsl */ `${geometry}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.n * d.c) { return; }
  let c = i % d.c;
  let b = i / d.c;
  let cells = d.h * d.w;
  var s = 0.0;
  for (var k = 0u; k < cells; k++) { s += x[(b * cells + k) * d.c + c]; }
  y[i] = s / f32(cells);
}`;

/** gx[b, cell, c] = g[b, c] over the cells. */
const globalPoolGrad = /* wgsl */ `${geometry}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read_write> gx: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  let cells = d.h * d.w;
  if (i >= d.n * cells * d.c) { return; }
  let c = i % d.c;
  let b = i / (cells * d.c);
  gx[i] = g[b * d.c + c] / f32(cells);
}`;

export const poolShaders = { avgPool, avgPoolGrad, globalPool, globalPoolGrad } as const;

/**
 * A depthwise convolution (a separable convolution's first half): input channel c's kernel m
 * writes channel c * mult + m. Filters [kh, kw, c, mult], as TensorFlow.js keeps them.
 */
const depthwise = /* wgsl */ `${geometry}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  let maps = d.c * d.mult;
  if (i >= d.n * d.oh * d.ow * maps) { return; }
  let j = i % maps;
  let c = j / d.mult;
  var r = i / maps;
  let ox = r % d.ow;
  r = r / d.ow;
  let oy = r % d.oh;
  let b = r / d.oh;
  var s = 0.0;
  for (var ky = 0u; ky < d.kh; ky++) {
    let yy = tap(oy, ky, d.sh, d.pt, d.h);
    if (yy < 0) { continue; }
    for (var kx = 0u; kx < d.kw; kx++) {
      let xx = tap(ox, kx, d.sw, d.pl, d.w);
      if (xx < 0) { continue; }
      s += x[((b * d.h + u32(yy)) * d.w + u32(xx)) * d.c + c] * f[(ky * d.kw + kx) * maps + j];
    }
  }
  y[i] = s;
}`;

/** The depthwise filter's gradient: one workgroup per filter value, summed in workgroup memory. */
const depthwiseGradFilter = /* wgsl */ `${geometry}
${workgroupSum}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> gf: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let i = wg.x + wg.y * 65535u;
  let maps = d.c * d.mult;
  let inside = i < d.kh * d.kw * maps;
  let j = i % maps;
  let c = j / d.mult;
  let cell = i / maps;
  let kx = cell % d.kw;
  let ky = cell / d.kw;
  var s = 0.0;
  let taps = select(0u, d.n * d.oh * d.ow, inside);
  for (var p = t; p < taps; p += 64u) {
    let ox = p % d.ow;
    let q = p / d.ow;
    let oy = q % d.oh;
    let b = q / d.oh;
    let yy = tap(oy, ky, d.sh, d.pt, d.h);
    let xx = tap(ox, kx, d.sw, d.pl, d.w);
    if (yy < 0 || xx < 0) { continue; }
    s += x[((b * d.h + u32(yy)) * d.w + u32(xx)) * d.c + c] * g[p * maps + j];
  }
  let sum = total(t, s);
  if (inside && t == 0u) { gf[i] = sum; }
}`;

/** The depthwise convolution's input gradient: per input value, over the windows and kernels that read it. */
const depthwiseGradInput = /* wgsl */ `${geometry}
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read_write> gx: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.n * d.h * d.w * d.c) { return; }
  let maps = d.c * d.mult;
  let c = i % d.c;
  var r = i / d.c;
  let px = r % d.w;
  r = r / d.w;
  let py = r % d.h;
  let b = r / d.h;
  var s = 0.0;
  for (var ky = 0u; ky < d.kh; ky++) {
    let ty = covering(py, ky, d.sh, d.pt, d.oh);
    if (ty < 0) { continue; }
    let oy = u32(ty);
    for (var kx = 0u; kx < d.kw; kx++) {
      let tx = covering(px, kx, d.sw, d.pl, d.ow);
      if (tx < 0) { continue; }
      let ox = u32(tx);
      let gb = ((b * d.oh + oy) * d.ow + ox) * maps + c * d.mult;
      let fb = (ky * d.kw + kx) * maps + c * d.mult;
      for (var m = 0u; m < d.mult; m++) { s += g[gb + m] * f[fb + m]; }
    }
  }
  gx[i] = s;
}`;

export const depthwiseShaders = { depthwise, depthwiseGradFilter, depthwiseGradInput } as const;
