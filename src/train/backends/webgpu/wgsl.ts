/**
 * WGSL the kernels share, prepended to their code: the flat index of a linear dispatch
 * (kernels.ts: linear), a sum over a workgroup of 64, and a window's coordinates.
 */

/** The invocation's index in a dispatch of groups of 64, past 65,535 groups in a second dimension. */
export const flat = /* wgsl */ `
fn flat(id: vec3u) -> u32 { return id.x + id.y * 65535u * 64u; }`;

/** The sum of v over the workgroup's 64 invocations, for every one of them (call it from all). */
export const workgroupSum = /* wgsl */ `
var<workgroup> part: array<f32, 64>;
fn total(t: u32, v: f32) -> f32 {
  part[t] = v;
  workgroupBarrier();
  for (var half = 32u; half > 0u; half = half / 2u) {
    if (t < half) { part[t] += part[t + half]; }
    workgroupBarrier();
  }
  let s = part[0];
  workgroupBarrier();
  return s;
}`;

/**
 * Window coordinates along one axis. `tap`: the input position under output o's window at k, or
 * -1 in the padding. `covering`: the output whose window holds input p at k, or -1 when none does
 * (strides skip it, or it lies past the last output).
 */
export const windowAxis = /* wgsl */ `
fn tap(o: u32, k: u32, stride: u32, pad: u32, size: u32) -> i32 {
  let p = i32(o * stride + k) - i32(pad);
  return select(-1, p, p >= 0 && p < i32(size));
}
fn covering(p: u32, k: u32, stride: u32, pad: u32, outs: u32) -> i32 {
  let t = i32(p + pad) - i32(k);
  if (t < 0 || t % i32(stride) != 0) { return -1; }
  let o = u32(t) / stride;
  return select(-1, i32(o), o < outs);
}`;
