import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linear } from "../../src/train/backends/webgpu/kernels.js";
import { add, error, type GpuKit, openKit, values } from "../helpers/gpu.js";

/**
 * Batch normalisation's WGSL kernels against float64 references from the definitions: the batch's
 * statistics and the moving ones' update, the forward pass in training and outside it, and the
 * gradients of gamma, beta and the input (checked against finite differences of the loss
 * sum(g * y) in float64). Outputs are poisoned with NaN first.
 */
let kit: GpuKit;
beforeAll(async () => {
  kit = await openKit();
});
afterAll(() => kit?.gpu.device.destroy());

const [rows, channels, eps, momentum] = [150, 5, 1e-3, 0.99];
const x = values(rows * channels, 1).map((v, i) => v * (1 + (i % channels)) + (i % channels));
const gamma = values(channels, 2).map((v) => 1 + v / 2);
const beta = values(channels, 3);
const mm = values(channels, 4);
const mv = values(channels, 5).map((v) => 1 + Math.abs(v));
const gy = values(rows * channels, 6);
const words = (train: boolean) => [rows, channels, eps, momentum, train ? 1 : 0, 0, 0, 0];

/** Per channel: the mean and biased variance of x. */
function moments(xs: ArrayLike<number>) {
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let i = 0; i < rows * channels; i++) add(mean, i % channels, (xs[i] as number) / rows);
  for (let i = 0; i < rows * channels; i++)
    add(variance, i % channels, ((xs[i] as number) - (mean[i % channels] as number)) ** 2 / rows);
  return { mean, variance };
}

const forward = (xs: ArrayLike<number>) => {
  const { mean, variance } = moments(xs);
  return Float64Array.from({ length: rows * channels }, (_, i) => {
    const c = i % channels;
    return (
      ((gamma[c] as number) * ((xs[i] as number) - (mean[c] as number))) /
        Math.sqrt((variance[c] as number) + eps) +
      (beta[c] as number)
    );
  });
};

describe("the batchnorm WebGPU kernels", { timeout: 120_000 }, () => {
  it("bnStats gives each channel's mean and 1/sqrt(variance + epsilon), and moves the moving statistics", async () => {
    const { mean, variance } = moments(x);
    const stats = kit.poisoned(2 * channels);
    const [m, v] = [kit.buffer(mm), kit.buffer(mv)];
    const got = await kit.run(stats, 2 * channels, (p) => {
      const d = kit.kernels.prepare(
        "bnStats",
        [kit.buffer(x), stats, m, v],
        words(true),
        [channels, 1],
        [2, 3],
      );
      kit.kernels.encode(p, d);
      return [d.uniform];
    });
    const want = Float64Array.from([...mean, ...Array.from(variance, (s) => 1 / Math.sqrt(s + eps))]);
    expect(error(got, want)).toBeLessThan(1e-5);
    const gotM = await kit.run(m, channels, () => []);
    const gotV = await kit.run(v, channels, () => []);
    expect(
      error(
        gotM,
        Float64Array.from(mm, (a, c) => a * momentum + (mean[c] as number) * (1 - momentum)),
      ),
    ).toBeLessThan(1e-6);
    expect(
      error(
        gotV,
        Float64Array.from(mv, (a, c) => a * momentum + (variance[c] as number) * (1 - momentum)),
      ),
    ).toBeLessThan(1e-6);
  });

  /** The batch statistics bnStats leaves, then `name` run with `buffers` built around them. */
  async function withStats(
    name: "bnForward" | "bnGradParams" | "bnGradInput",
    out: GPUBuffer,
    n: number,
    buffers: (stats: GPUBuffer) => GPUBuffer[],
    train = true,
  ) {
    const stats = kit.poisoned(2 * channels);
    return kit.run(out, n, (p) => {
      const s = kit.kernels.prepare(
        "bnStats",
        [kit.buffer(x), stats, kit.buffer(mm), kit.buffer(mv)],
        words(true),
        [channels, 1],
        [2, 3],
      );
      const size = name === "bnGradParams" ? [channels, 1] : linear(rows * channels);
      const d = kit.kernels.prepare(name, buffers(stats), words(train), size as [number, number], [2, 3]);
      kit.kernels.encode(p, s);
      kit.kernels.encode(p, d);
      return [s.uniform, d.uniform];
    });
  }

  it("bnForward normalises by the batch's statistics in training and by the moving ones outside it", async () => {
    const y = kit.poisoned(rows * channels);
    const params = () => [kit.buffer(gamma), kit.buffer(beta), kit.buffer(mm), kit.buffer(mv)];
    const got = await withStats("bnForward", y, rows * channels, (stats) => [
      kit.buffer(x),
      stats,
      ...params(),
      y,
    ]);
    expect(error(got, forward(x))).toBeLessThan(1e-5);
    const y2 = kit.poisoned(rows * channels);
    const off = await withStats(
      "bnForward",
      y2,
      rows * channels,
      (stats) => [kit.buffer(x), stats, ...params(), y2],
      false,
    );
    const want = Float64Array.from(x, (v, i) => {
      const c = i % channels;
      return (
        ((gamma[c] as number) * (v - (mm[c] as number))) / Math.sqrt((mv[c] as number) + eps) +
        (beta[c] as number)
      );
    });
    expect(error(off, want)).toBeLessThan(1e-5);
  });

  it("bnGradParams and bnGradInput are the gradients of sum(g * y) by gamma, beta and x (finite differences in float64)", async () => {
    const dgamma = kit.poisoned(channels);
    const dbeta = kit.poisoned(channels);
    const gotGamma = await withStats("bnGradParams", dgamma, channels, (stats) => [
      kit.buffer(gy),
      kit.buffer(x),
      stats,
      dgamma,
      dbeta,
    ]);
    const gotBeta = await kit.run(dbeta, channels, () => []);
    const { mean, variance } = moments(x);
    const wantGamma = new Float64Array(channels);
    const wantBeta = new Float64Array(channels);
    gy.forEach((g, i) => {
      const c = i % channels;
      add(wantBeta, c, g);
      add(
        wantGamma,
        c,
        (g * ((x[i] as number) - (mean[c] as number))) / Math.sqrt((variance[c] as number) + eps),
      );
    });
    expect(error(gotGamma, wantGamma)).toBeLessThan(1e-5);
    expect(error(gotBeta, wantBeta)).toBeLessThan(1e-5);
    const gx = kit.poisoned(rows * channels);
    const gotX = await withStats("bnGradInput", gx, rows * channels, (stats) => [
      kit.buffer(gy),
      kit.buffer(x),
      stats,
      kit.buffer(gamma),
      dgamma,
      dbeta,
      gx,
    ]);
    // d/dx_i of sum(g * y), by central differences on the float64 forward pass.
    const loss = (xs: Float64Array) => forward(xs).reduce((s, y, i) => s + y * (gy[i] as number), 0);
    const want = new Float64Array(rows * channels);
    const base = Float64Array.from(x);
    for (let i = 0; i < want.length; i++) {
      const h = 1e-5;
      const up = Float64Array.from(base);
      const down = Float64Array.from(base);
      up[i] = (up[i] as number) + h;
      down[i] = (down[i] as number) - h;
      want[i] = (loss(up) - loss(down)) / (2 * h);
    }
    expect(error(gotX, want)).toBeLessThan(1e-4);
  });
});
