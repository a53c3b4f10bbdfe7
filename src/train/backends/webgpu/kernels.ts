/**
 * The WGSL kernels of the WebGPU back end: here its dense layers, its loss and its update (the
 * image layers' in image-shaders.ts, the epoch's housekeeping in step-shaders.ts), each tested
 * against a float64 reference on SwiftShader (test/webgpu/). Arrays are row-major float32 storage
 * buffers; sizes come in a uniform. One invocation per output element.
 */
import { depthwiseShaders, imageShaders, poolShaders, type Window, windowWords } from "./image-shaders.js";
import { normShaders } from "./norm-shaders.js";
import { residualShaders } from "./residual-shaders.js";
import { stepShaders } from "./step-shaders.js";
import { workgroupSum } from "./wgsl.js";

/** c = op(a) op(b) (+ c when accumulating): a m x k after op, b k x n after op. */
const matmul = /* wgsl */ `
struct Dims { m: u32, n: u32, k: u32, flags: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;
@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  // Rows past 65,535 groups of 8 continue in the third dimension.
  let row = id.y + id.z * 65535u * 8u;
  let col = id.x;
  if (row >= d.m || col >= d.n) { return; }
  let ta = (d.flags & 1u) != 0u;
  let tb = (d.flags & 2u) != 0u;
  var s = 0.0;
  for (var i = 0u; i < d.k; i++) {
    var av: f32;
    if (ta) { av = a[i * d.m + row]; } else { av = a[row * d.k + i]; }
    var bv: f32;
    if (tb) { bv = b[col * d.k + i]; } else { bv = b[i * d.n + col]; }
    s += av * bv;
  }
  if ((d.flags & 4u) != 0u) { s += c[row * d.n + col]; }
  c[row * d.n + col] = s;
}`;

/** y = x + bias (bias repeating over rows of `cols`), then relu when asked; in place is allowed. */
const biasAct = /* wgsl */ `
struct Dims { size: u32, cols: u32, relu: u32, pad: u32 }
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x + id.y * 65535u * 64u;
  if (i >= d.size) { return; }
  var v = y[i] + bias[i % d.cols];
  if (d.relu != 0u) { v = max(v, 0.0); }
  y[i] = v;
}`;

/**
 * out[col] = the sum over rows of x[row, col] (a bias's gradient): one workgroup per column, its
 * 64 invocations splitting the rows, summed in workgroup memory.
 */
const sumRows = /* wgsl */ `${workgroupSum}
struct Dims { rows: u32, cols: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let col = wg.x + wg.y * 65535u;
  var s = 0.0;
  if (col < d.cols) {
    for (var r = t; r < d.rows; r += 64u) { s += x[r * d.cols + col]; }
  }
  let sum = total(t, s);
  if (col < d.cols && t == 0u) { out[col] = sum; }
}`;

/** g = g where the relu's output y is above 0, else 0 (in place). */
const reluGrad = /* wgsl */ `
struct Dims { size: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read_write> g: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x + id.y * 65535u * 64u;
  if (i >= d.size) { return; }
  if (y[i] <= 0.0) { g[i] = 0.0; }
}`;

/**
 * Softmax cross-entropy of each row of logits against its label, as the native step has it: the
 * row's loss (-log softmax at the label), whether its first maximum is the label, and the
 * gradient (softmax - one-hot) / batch into g. One invocation per row.
 */
const softmaxLoss = /* wgsl */ `
struct Dims { rows: u32, classes: u32, batch: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read_write> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> hit: array<u32>;
@group(0) @binding(5) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let r = id.x;
  if (r >= d.rows) { return; }
  let base = r * d.classes;
  var arg = 0u;
  for (var c = 1u; c < d.classes; c++) { if (logits[base + c] > logits[base + arg]) { arg = c; } }
  let top = logits[base + arg];
  var sum = 0.0;
  for (var c = 0u; c < d.classes; c++) { sum += exp(logits[base + c] - top); }
  let logSum = log(sum);
  let label = labels[r];
  let scale = 1.0 / f32(d.batch);
  for (var c = 0u; c < d.classes; c++) {
    let p = exp(logits[base + c] - top - logSum);
    var onehot = 0.0;
    if (c == label) { onehot = 1.0; }
    g[base + c] = (p - onehot) * scale;
  }
  loss[r] = logSum - (logits[base + label] - top);
  hit[r] = select(0u, 1u, arg == label);
}`;

/**
 * One optimizer step of every variable, as TensorFlow.js takes it: mode 0 SGD (with momentum
 * through v when momentum > 0), mode 1 Adam (v and s its moments, beta1 in momentum; the step's
 * number from the cursor for the bias correction), mode 2 RMSprop without momentum (s the mean
 * square, its decay in momentum).
 */
const update = /* wgsl */ `
struct Dims { size: u32, mode: u32, rate: f32, momentum: f32, beta2: f32, epsilon: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read_write> w: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> s: array<f32>;
@group(0) @binding(4) var<storage, read> cursor: array<u32>;
@group(0) @binding(5) var<uniform> d: Dims;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x + id.y * 65535u * 64u;
  if (i >= d.size) { return; }
  let gi = g[i];
  if (d.mode == 1u) {
    let t = f32(cursor[2] + 1u);
    let m = d.momentum * v[i] + (1.0 - d.momentum) * gi;
    let q = d.beta2 * s[i] + (1.0 - d.beta2) * gi * gi;
    v[i] = m;
    s[i] = q;
    let mhat = m / (1.0 - pow(d.momentum, t));
    let qhat = q / (1.0 - pow(d.beta2, t));
    w[i] = w[i] - d.rate * mhat / (sqrt(qhat) + d.epsilon);
  } else if (d.mode == 2u) {
    let q = d.momentum * s[i] + (1.0 - d.momentum) * gi * gi;
    s[i] = q;
    w[i] = w[i] - d.rate * gi / sqrt(q + d.epsilon);
  } else if (d.momentum > 0.0) {
    let vi = v[i] * d.momentum + gi;
    v[i] = vi;
    w[i] = w[i] - d.rate * vi;
  } else {
    w[i] = w[i] - d.rate * gi;
  }
}`;

export const shaders = {
  matmul,
  biasAct,
  sumRows,
  reluGrad,
  softmaxLoss,
  update,
  ...imageShaders,
  ...poolShaders,
  ...depthwiseShaders,
  ...normShaders,
  ...stepShaders,
  ...residualShaders,
} as const;
export type KernelName = keyof typeof shaders;

/** Workgroups of 64 invocations over `size` elements, in two dimensions past 65,535 groups. */
export function linear(size: number): [number, number] {
  const groups = Math.ceil(size / 64);
  return groups <= 65535 ? [groups, 1] : [65535, Math.ceil(groups / 65535)];
}

/** One workgroup for each of `count` things, in two dimensions past 65,535. */
export function perGroup(count: number): [number, number] {
  return count <= 65535 ? [count, 1] : [65535, Math.ceil(count / 65535)];
}

/** Workgroups in two dimensions, or three (a matrix product's rows past 65,535 groups). */
export type Groups = [number, number] | [number, number, number];

/** A buffer, or a range of one (offsets a multiple of 256 bytes). */
export type Binding = GPUBuffer | GPUBufferBinding;

/** A dispatch made once and encoded at every step: its pipeline, bind group and uniform. */
export interface Dispatch {
  pipeline: GPUComputePipeline;
  group: GPUBindGroup;
  groups: Groups;
  uniform: GPUBuffer;
}

/**
 * The kernels compiled once for a device. A dispatch is prepared once (its buffers and sizes
 * bound) and then encoded into any number of compute passes: a step records a dozen or so and
 * submits with others.
 */
export class Kernels {
  private readonly pipelines = new Map<KernelName, GPUComputePipeline>();

  constructor(private readonly device: GPUDevice) {
    for (const [name, code] of Object.entries(shaders) as [KernelName, string][])
      this.pipelines.set(
        name,
        device.createComputePipeline({
          layout: "auto",
          compute: { module: device.createShaderModule({ code }), entryPoint: "main" },
        }),
      );
  }

  /** 32-bit words, four at least: whole numbers, or (where `floats` says) float32 values. */
  private uniform(values: number[], floats: number[] = []): GPUBuffer {
    const size = Math.max(16, Math.ceil(values.length / 4) * 16);
    const u = this.device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const words = new ArrayBuffer(size);
    const ints = new Uint32Array(words);
    const reals = new Float32Array(words);
    values.forEach((v, i) => {
      if (floats.includes(i)) reals[i] = v;
      else ints[i] = v;
    });
    this.device.queue.writeBuffer(u, 0, words);
    return u;
  }

  /** Binds a kernel's buffers (in its bindings' order) and sizes, for `encode`. */
  prepare(
    name: KernelName,
    buffers: Binding[],
    dims: number[],
    groups: Groups,
    floats: number[] = [],
  ): Dispatch {
    const pipeline = this.pipelines.get(name) as GPUComputePipeline;
    const uniform = this.uniform(dims, floats);
    const entries = [...buffers, uniform].map((b, binding) => ({
      binding,
      resource: "buffer" in b ? b : { buffer: b },
    }));
    const group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    return { pipeline, group, groups, uniform };
  }

  encode(pass: GPUComputePassEncoder, d: Dispatch): void {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.group);
    pass.dispatchWorkgroups(d.groups[0], d.groups[1], d.groups[2] ?? 1);
  }

  private dispatch(
    pass: GPUComputePassEncoder,
    name: KernelName,
    buffers: Binding[],
    dims: number[],
    groups: Groups,
    floats: number[] = [],
  ): GPUBuffer {
    const d = this.prepare(name, buffers, dims, groups, floats);
    this.encode(pass, d);
    return d.uniform;
  }

  matmulDims(shape: MatmulShape): { dims: number[]; groups: Groups } {
    const flags = (shape.transA ? 1 : 0) | (shape.transB ? 2 : 0) | (shape.accumulate ? 4 : 0);
    const rows = Math.ceil(shape.m / 8);
    return {
      dims: [shape.m, shape.n, shape.k, flags],
      groups:
        rows <= 65535
          ? [Math.ceil(shape.n / 8), rows]
          : [Math.ceil(shape.n / 8), 65535, Math.ceil(rows / 65535)],
    };
  }

  /** c = op(a) op(b), or c += op(a) op(b) with `accumulate`. */
  matmul(pass: GPUComputePassEncoder, a: Binding, b: Binding, c: Binding, shape: MatmulShape): GPUBuffer {
    const { dims, groups } = this.matmulDims(shape);
    return this.dispatch(pass, "matmul", [a, b, c], dims, groups);
  }

  biasAct(pass: GPUComputePassEncoder, y: Binding, bias: Binding, size: number, cols: number, relu: boolean) {
    return this.dispatch(pass, "biasAct", [y, bias], [size, cols, relu ? 1 : 0], linear(size));
  }

  sumRows(pass: GPUComputePassEncoder, x: Binding, out: Binding, rows: number, cols: number) {
    return this.dispatch(pass, "sumRows", [x, out], [rows, cols], perGroup(cols));
  }

  reluGrad(pass: GPUComputePassEncoder, g: Binding, y: Binding, size: number) {
    return this.dispatch(pass, "reluGrad", [g, y], [size], linear(size));
  }

  /** Per row: its loss into `loss`, 1 into `hit` when its first maximum is its label; the gradient into g. */
  softmaxLoss(
    pass: GPUComputePassEncoder,
    buffers: { logits: Binding; labels: Binding; g: Binding; loss: Binding; hit: Binding },
    rows: number,
    classes: number,
    batch: number,
  ) {
    const { logits, labels, g, loss, hit } = buffers;
    return this.dispatch(
      pass,
      "softmaxLoss",
      [logits, labels, g, loss, hit],
      [rows, classes, batch],
      [Math.ceil(rows / 64), 1],
    );
  }

  /** One optimizer step of w from g (v and s zeroed at first); the cursor's third word counts the steps before. */
  update(pass: GPUComputePassEncoder, b: UpdateBuffers, size: number, o: Optimizer) {
    return this.dispatch(
      pass,
      "update",
      [b.w, b.g, b.v, b.s, b.cursor],
      updateWords(size, o),
      linear(size),
      [2, 3, 4, 5],
    );
  }

  /** y = x * f + bias (relu when the window says), over a batch. */
  convForward(pass: GPUComputePassEncoder, x: Binding, f: Binding, bias: Binding, y: Binding, g: Window) {
    return this.dispatch(
      pass,
      "convForward",
      [x, f, bias, y],
      windowWords(g),
      linear(g.n * g.oh * g.ow * g.co),
    );
  }

  /** The input's gradient of a convolution from its output's. */
  convGradInput(pass: GPUComputePassEncoder, gy: Binding, f: Binding, gx: Binding, g: Window) {
    return this.dispatch(pass, "convGradInput", [gy, f, gx], windowWords(g), linear(g.n * g.h * g.w * g.c));
  }

  /** The filter's gradient of a convolution from its input and its output's gradient. */
  convGradFilter(pass: GPUComputePassEncoder, x: Binding, gy: Binding, gf: Binding, g: Window) {
    return this.dispatch(
      pass,
      "convGradFilter",
      [x, gy, gf],
      windowWords(g),
      perGroup(g.kh * g.kw * g.c * g.co),
    );
  }

  /** A window kernel over `size` invocations (the pools' and their gradients'). */
  dispatchOf(pass: GPUComputePassEncoder, name: KernelName, buffers: Binding[], g: Window, size: number) {
    return this.dispatch(pass, name, buffers, windowWords(g), linear(size));
  }

  maxPool(pass: GPUComputePassEncoder, x: Binding, y: Binding, arg: Binding, g: Window) {
    return this.dispatch(pass, "maxPool", [x, y, arg], windowWords(g), linear(g.n * g.oh * g.ow * g.c));
  }

  maxPoolGrad(pass: GPUComputePassEncoder, gy: Binding, arg: Binding, gx: Binding, g: Window) {
    return this.dispatch(pass, "maxPoolGrad", [gy, arg, gx], windowWords(g), linear(g.n * g.h * g.w * g.c));
  }
}

export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  accumulate?: boolean;
}

/** The optimizer as the update kernel takes it. */
export interface Optimizer {
  kind: "sgd" | "adam" | "rmsprop";
  learningRate: number;
  /** SGD's momentum; Adam's beta1; RMSprop's decay. */
  momentum: number;
  beta2?: number;
  epsilon?: number;
}

export interface UpdateBuffers {
  w: Binding;
  g: Binding;
  v: Binding;
  s: Binding;
  cursor: Binding;
}

export const updateWords = (size: number, o: Optimizer): number[] => [
  size,
  ["sgd", "adam", "rmsprop"].indexOf(o.kind),
  o.learningRate,
  o.momentum,
  o.beta2 ?? 0,
  o.epsilon ?? 0,
  0,
  0,
];
