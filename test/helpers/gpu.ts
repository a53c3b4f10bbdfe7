import { expect } from "vitest";
import { type Gpu, openGpu } from "../../src/train/backends/webgpu/device.js";
import { Kernels } from "../../src/train/backends/webgpu/kernels.js";

/**
 * What the WebGPU kernel tests share: an adapter (SwiftShader here and in CI; no adapter is a
 * failure, not a skip), seeded inputs, NaN-poisoned outputs, and the error against float64.
 */
export interface GpuKit {
  gpu: Gpu;
  kernels: Kernels;
  buffer(data: ArrayBufferView<ArrayBuffer>): GPUBuffer;
  poisoned(n: number): GPUBuffer;
  run(out: GPUBuffer, n: number, record: (pass: GPUComputePassEncoder) => GPUBuffer[]): Promise<Float32Array>;
}

export async function openKit(): Promise<GpuKit> {
  const opened = await openGpu({ software: true });
  if (typeof opened === "string") throw new Error(`no WebGPU adapter for the kernel tests: ${opened}`);
  const gpu = opened;
  const buffer = (data: ArrayBufferView<ArrayBuffer>) => {
    const b = gpu.device.createBuffer({
      size: Math.max(16, Math.ceil(data.byteLength / 4) * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    gpu.device.queue.writeBuffer(b, 0, data);
    return b;
  };
  /** Runs the dispatches `record` makes, then reads `out` back. */
  const run = async (out: GPUBuffer, n: number, record: (pass: GPUComputePassEncoder) => GPUBuffer[]) => {
    const read = gpu.device.createBuffer({
      size: n * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const uniforms = record(pass);
    pass.end();
    encoder.copyBufferToBuffer(out, 0, read, 0, n * 4);
    gpu.device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const result = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    read.destroy();
    for (const u of uniforms) u.destroy();
    return result;
  };
  return {
    gpu,
    kernels: new Kernels(gpu.device),
    buffer,
    poisoned: (n) => buffer(new Float32Array(n).fill(Number.NaN)),
    run,
  };
}

/** Seeded values in [-1, 1). */
export function values(n: number, seed: number): Float32Array<ArrayBuffer> {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** The largest difference from the reference, over the reference's scale (at least 1); NaN is infinite. */
export function error(got: Float32Array, want: Float64Array): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let scale = 1;
  for (const w of want) scale = Math.max(scale, Math.abs(w));
  got.forEach((v, i) => {
    worst = Math.max(
      worst,
      Number.isNaN(v) ? Number.POSITIVE_INFINITY : Math.abs(v - (want[i] as number)) / scale,
    );
  });
  return worst;
}

/** a[i] += v, for float64 references built by accumulation. */
export const add = (a: Float64Array, i: number, v: number): void => {
  a[i] = (a[i] as number) + v;
};
