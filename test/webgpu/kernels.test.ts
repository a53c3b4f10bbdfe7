import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gpu } from "../../src/train/backends/webgpu/device.js";
import type { Kernels, Optimizer } from "../../src/train/backends/webgpu/kernels.js";
import { error, type GpuKit, openKit, values } from "../helpers/gpu.js";

/**
 * Each WGSL kernel of the dense layers, the loss and the update against a float64 reference, on
 * whatever adapter there is (SwiftShader here and in CI). Every output buffer is filled with NaN
 * first, so a kernel that writes nothing, or writes only part of its output, fails. No adapter is
 * a failure, not a skip.
 */
let kit: GpuKit;
let gpu: Gpu;
let kernels: Kernels;
let buffer: GpuKit["buffer"];
let poisoned: GpuKit["poisoned"];
let run: GpuKit["run"];

beforeAll(async () => {
  kit = await openKit();
  ({ gpu, kernels, buffer, poisoned, run } = kit);
});
afterAll(() => gpu?.device.destroy());

/** op(a) op(b) in float64, row-major. */
function matmul64(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  ta: boolean,
  tb: boolean,
) {
  const c = new Float64Array(m * n);
  for (let r = 0; r < m; r++)
    for (let col = 0; col < n; col++) {
      let s = 0;
      for (let i = 0; i < k; i++)
        s += (a[ta ? i * m + r : r * k + i] as number) * (b[tb ? col * k + i : i * n + col] as number);
      c[r * n + col] = s;
    }
  return c;
}

describe("the WebGPU kernels", { timeout: 120_000 }, () => {
  it("run on an adapter that says what it is", () => {
    expect(gpu.adapter.description.length + gpu.adapter.vendor.length).toBeGreaterThan(0);
  });

  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
  ] as const)
    it(`matmul ${ta ? "aT" : "a"} x ${tb ? "bT" : "b"} (a dense layer's forward and its two gradients), with and without accumulating`, async () => {
      // Shapes of the study's dense layers at batch 32, cut down, and not multiples of 8.
      const [m, n, k] = [33, 19, 70];
      const a = values(m * k, 1);
      const b = values(k * n, 2);
      const want = matmul64(a, b, m, n, k, ta, tb);
      const c = poisoned(m * n);
      const got = await run(c, m * n, (p) => [
        kernels.matmul(p, buffer(a), buffer(b), c, { m, n, k, transA: ta, transB: tb }),
      ]);
      expect(error(got, want)).toBeLessThan(1e-6);
      const start = values(m * n, 3);
      const acc = buffer(start);
      const summed = await run(acc, m * n, (p) => [
        kernels.matmul(p, buffer(a), buffer(b), acc, { m, n, k, transA: ta, transB: tb, accumulate: true }),
      ]);
      expect(
        error(
          summed,
          want.map((v, i) => v + (start[i] as number)),
        ),
      ).toBeLessThan(1e-6);
    });

  it("matmul covers more rows than 65,535 groups of 8 hold (a separable convolution's pixels over a large batch)", async () => {
    const [m, n, k] = [530_000, 3, 2];
    const a = values(m * k, 21);
    const b = values(k * n, 22);
    const c = poisoned(m * n);
    const got = await run(c, m * n, (p) => [kernels.matmul(p, buffer(a), buffer(b), c, { m, n, k })]);
    expect(error(got, matmul64(a, b, m, n, k, false, false))).toBeLessThan(1e-6);
  });

  it("biasAct adds the bias by column, with and without relu, on more elements than one dimension of groups holds", async () => {
    for (const [rows, cols] of [
      [37, 10],
      [70_000, 67],
    ] as const) {
      const x = values(rows * cols, 4);
      const bias = values(cols, 5);
      for (const relu of [false, true]) {
        const want = Float64Array.from(x, (v, i) => {
          const s = v + (bias[i % cols] as number);
          return relu ? Math.max(0, s) : s;
        });
        const y = buffer(x);
        const got = await run(y, x.length, (p) => [
          kernels.biasAct(p, y, buffer(bias), x.length, cols, relu),
        ]);
        expect(error(got, want)).toBeLessThan(1e-6);
      }
    }
  });

  it("sumRows sums each column over the rows (a bias's gradient)", async () => {
    const [rows, cols] = [97, 130];
    const x = values(rows * cols, 6);
    const want = new Float64Array(cols);
    x.forEach((v, i) => {
      want[i % cols] = (want[i % cols] as number) + v;
    });
    const out = poisoned(cols);
    const got = await run(out, cols, (p) => [kernels.sumRows(p, buffer(x), out, rows, cols)]);
    expect(error(got, want)).toBeLessThan(1e-6);
  });

  it("reluGrad keeps the gradient where the relu's output is above 0", async () => {
    const n = 1000;
    const g = values(n, 7);
    const y = values(n, 8).map((v) => Math.max(0, v));
    const want = Float64Array.from(g, (v, i) => ((y[i] as number) > 0 ? v : 0));
    const gb = buffer(g);
    const got = await run(gb, n, (p) => [kernels.reluGrad(p, gb, buffer(y), n)]);
    expect(error(got, want)).toBeLessThan(1e-7);
    // Not the identity: some of the gradient was zeroed.
    expect(got.filter((v, i) => v === 0 && g[i] !== 0).length).toBeGreaterThan(100);
  });

  it("softmaxLoss gives each row's cross-entropy, whether its first maximum is the label, and the gradient over the batch", async () => {
    const [rows, classes, batch] = [45, 10, 50];
    const logits = values(rows * classes, 9).map((v) => v * 6);
    const labels = Uint32Array.from({ length: rows }, (_, r) => (r * 7) % classes);
    // A row whose first maximum is its label, to see a hit counted.
    logits[3 * classes + (labels[3] as number)] = 50;
    const wantLoss = new Float64Array(rows);
    const wantHit = new Float64Array(rows);
    const wantG = new Float64Array(rows * classes);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
      const top = Math.max(...row);
      const arg = row.indexOf(top);
      const logSum = Math.log(row.reduce((s, v) => s + Math.exp(v - top), 0));
      const label = labels[r] as number;
      wantLoss[r] = logSum - ((row[label] as number) - top);
      wantHit[r] = arg === label ? 1 : 0;
      row.forEach((v, c) => {
        wantG[r * classes + c] = (Math.exp(v - top - logSum) - (c === label ? 1 : 0)) / batch;
      });
    }
    const g = poisoned(rows * classes);
    const loss = poisoned(rows);
    const hit = buffer(new Float32Array(rows).fill(Number.NaN));
    const lb = gpu.device.createBuffer({
      size: labels.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    gpu.device.queue.writeBuffer(lb, 0, labels);
    const record = (p: GPUComputePassEncoder) => [
      kernels.softmaxLoss(p, { logits: buffer(logits), labels: lb, g, loss, hit }, rows, classes, batch),
    ];
    expect(error(await run(g, rows * classes, record), wantG)).toBeLessThan(1e-6);
    expect(error(await run(loss, rows, record), wantLoss)).toBeLessThan(1e-5);
    const hits = new Uint32Array((await run(hit, rows, record)).buffer);
    expect(Array.from(hits)).toEqual(Array.from(wantHit));
    expect(hits[3]).toBe(1);
  });

  /** One update of w0 by g through the kernel, from states v0 and s0, at step t (1-based); w, v and s after it. */
  async function updated(
    o: Optimizer,
    t: number,
    start: {
      w: Float32Array<ArrayBuffer>;
      g: Float32Array<ArrayBuffer>;
      v: Float32Array<ArrayBuffer>;
      s: Float32Array<ArrayBuffer>;
    },
  ) {
    const n = start.w.length;
    const [w, v, s] = [buffer(start.w), buffer(start.v), buffer(start.s)];
    const cursor = buffer(new Uint32Array([0, 0, t - 1, 0]));
    const gotW = await run(w, n, (p) => [kernels.update(p, { w, g: buffer(start.g), v, s, cursor }, n, o)]);
    return { w: gotW, v: await run(v, n, () => []), s: await run(s, n, () => []) };
  }

  const n = 300;
  const start = { w: values(n, 10), g: values(n, 11), v: values(n, 12), s: values(n, 13).map(Math.abs) };
  const { w: w0, g, v: v0, s: s0 } = start;
  const at = (a: Float32Array, i: number) => a[i] as number;

  it("update steps the weights by SGD, and with momentum through the velocity, as TensorFlow.js does", async () => {
    for (const momentum of [0, 0.9]) {
      const got = await updated({ kind: "sgd", learningRate: 0.05, momentum }, 1, start);
      const step = (i: number) => (momentum > 0 ? at(v0, i) * momentum + at(g, i) : at(g, i));
      expect(
        error(
          got.w,
          Float64Array.from(w0, (x, i) => x - 0.05 * step(i)),
        ),
      ).toBeLessThan(1e-6);
      if (momentum > 0)
        expect(
          error(
            got.v,
            Float64Array.from(v0, (_, i) => step(i)),
          ),
        ).toBeLessThan(1e-6);
    }
  });

  it("update steps the weights by Adam with the bias correction of the step's number, as TensorFlow.js does", async () => {
    const [b1, b2, eps, lr, t] = [0.9, 0.999, 1e-7, 0.01, 7];
    const got = await updated(
      { kind: "adam", learningRate: lr, momentum: b1, beta2: b2, epsilon: eps },
      t,
      start,
    );
    const m = Float64Array.from(v0, (x, i) => b1 * x + (1 - b1) * at(g, i));
    const q = Float64Array.from(s0, (x, i) => b2 * x + (1 - b2) * at(g, i) ** 2);
    const want = Float64Array.from(w0, (x, i) => {
      const mhat = (m[i] as number) / (1 - b1 ** t);
      const qhat = (q[i] as number) / (1 - b2 ** t);
      return x - (lr * mhat) / (Math.sqrt(qhat) + eps);
    });
    expect(error(got.w, want)).toBeLessThan(1e-5);
    expect(error(got.v, m)).toBeLessThan(1e-6);
    expect(error(got.s, q)).toBeLessThan(1e-6);
  });

  it("update steps the weights by RMSprop (no momentum), as TensorFlow.js does", async () => {
    const [rho, eps, lr] = [0.9, 1e-7, 0.01];
    const got = await updated({ kind: "rmsprop", learningRate: lr, momentum: rho, epsilon: eps }, 3, start);
    const q = Float64Array.from(s0, (x, i) => rho * x + (1 - rho) * at(g, i) ** 2);
    const want = Float64Array.from(w0, (x, i) => x - (lr * at(g, i)) / Math.sqrt((q[i] as number) + eps));
    expect(error(got.w, want)).toBeLessThan(1e-5);
    expect(error(got.s, q)).toBeLessThan(1e-6);
  });
});
