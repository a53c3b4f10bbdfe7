import { flat } from "./wgsl.js";

/**
 * The element-wise kernels of residual blocks and activations on their own (layers/residual.ts,
 * layers/activation.ts): the addition, its gradient's fan-out, and relu, tanh or sigmoid with
 * their gradients from the output, as TensorFlow.js takes them.
 */

const size = /* wgsl */ `
struct Dims { size: u32, mode: u32, pad0: u32, pad1: u32 }
${flat}`;

/** y = a + b. */
const add = /* wgsl */ `${size}
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.size) { return; }
  y[i] = a[i] + b[i];
}`;

/** y = y + a. */
const addInto = /* wgsl */ `${size}
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.size) { return; }
  y[i] = y[i] + a[i];
}`;

/** b = a. */
const copy = /* wgsl */ `${size}
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.size) { return; }
  b[i] = a[i];
}`;

/** y = f(x): mode 0 relu, 1 tanh, 2 sigmoid. */
const act = /* wgsl */ `${size}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.size) { return; }
  let v = x[i];
  if (d.mode == 0u) { y[i] = max(v, 0.0); }
  else if (d.mode == 1u) { y[i] = tanh(v); }
  else { y[i] = 1.0 / (1.0 + exp(-v)); }
}`;

/** gx = gy f'(y), from the output: relu's step, tanh's 1 - y^2, sigmoid's y (1 - y). */
const actGrad = /* wgsl */ `${size}
@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> gx: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = flat(id);
  if (i >= d.size) { return; }
  let v = y[i];
  if (d.mode == 0u) { gx[i] = select(0.0, gy[i], v > 0.0); }
  else if (d.mode == 1u) { gx[i] = gy[i] * (1.0 - v * v); }
  else { gx[i] = gy[i] * (v * (1.0 - v)); }
}`;

export const residualShaders = { add, addInto, copy, act, actGrad } as const;
