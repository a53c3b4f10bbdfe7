import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Augmenter } from "../../src/train/augment.js";
import { linear } from "../../src/train/backends/webgpu/kernels.js";
import { error, type GpuKit, openKit, values } from "../helpers/gpu.js";

/**
 * The kernels that keep an epoch on the GPU: the batch gathered through the epoch's order from
 * the packed bytes of the data, dropout's masks and gradient, and each step's sums and the cursor
 * that moves on. Outputs are poisoned with NaN first.
 */
let kit: GpuKit;
beforeAll(async () => {
  kit = await openKit();
});
afterAll(() => kit?.gpu.device.destroy());

/** Runs one prepared dispatch of `name` and reads `out` back. */
async function once(
  name: Parameters<GpuKit["kernels"]["prepare"]>[0],
  buffers: GPUBuffer[],
  dims: number[],
  groups: [number, number],
  out: GPUBuffer,
  n: number,
  floats: number[] = [],
) {
  return kit.run(out, n, (p) => {
    const d = kit.kernels.prepare(name, buffers, dims, groups, floats);
    kit.kernels.encode(p, d);
    return [d.uniform];
  });
}

describe("the epoch's WebGPU kernels", { timeout: 120_000 }, () => {
  const pixels = 7;
  const items = 13;
  const bytes = Uint8Array.from({ length: pixels * items }, (_, i) => (i * 37 + 11) % 256);
  const labels = Uint8Array.from({ length: items }, (_, i) => (i * 3) % 10);
  const packed = (b: Uint8Array) => {
    const p = new Uint8Array(Math.ceil(b.length / 4) * 4);
    p.set(b);
    return kit.buffer(new Uint32Array(p.buffer));
  };

  for (const ordered of [true, false])
    it(`gather takes ${ordered ? "the order's items from the cursor on" : "items in turn from the cursor"}, pixels over 255, and their labels`, async () => {
      const order = Uint32Array.from([12, 3, 7, 0, 5, 9, 1, 11, 2, 4, 6, 8, 10]);
      const cursor = kit.buffer(new Uint32Array([ordered ? 4 : 6, 0, 0, 0]));
      const n = 5;
      const x = kit.poisoned(n * pixels);
      const got = kit.poisoned(n);
      const sources = [
        packed(bytes),
        packed(labels),
        kit.buffer(order),
        cursor,
        kit.buffer(new Int32Array(4)),
      ];
      const gotX = await once(
        "gather",
        [...sources, x, got],
        [n, pixels, ordered ? 1 : 0, 0, pixels, 1, 1, 0],
        linear(n * pixels),
        x,
        n * pixels,
      );
      const item = (b: number) => (ordered ? (order[4 + b] as number) : 6 + b);
      const want = Float64Array.from({ length: n * pixels }, (_, i) => {
        const b = Math.floor(i / pixels);
        return (bytes[item(b) * pixels + (i % pixels)] as number) / 255;
      });
      expect(error(gotX, want)).toBeLessThan(1e-7);
      const gotLabels = new Uint32Array((await kit.run(got, n, () => [])).buffer);
      expect(Array.from(gotLabels)).toEqual(Array.from({ length: n }, (_, b) => labels[item(b)]));
    });

  it("gather with augment moves each image by the epoch's draws as the host's Augmenter does (flips, shifts, zeros)", async () => {
    const shape: [number, number, number] = [5, 4, 2];
    const px = 40;
    const count = 9;
    const images = Uint8Array.from({ length: px * count }, (_, i) => 1 + ((i * 53) % 255));
    const layer = { type: "augment" as const, flip: true, shift: 2 };
    const order = Uint32Array.from([4, 8, 0, 2, 6, 1, 3, 5, 7]);
    const draws = new Augmenter(layer, shape, 17).draws(count);
    const want = new Augmenter(layer, shape, 17).batch(images, Int32Array.from(order));
    const x = kit.poisoned(count * px);
    const got = await once(
      "gather",
      [
        packed(images),
        packed(new Uint8Array(count)),
        kit.buffer(order),
        kit.buffer(new Uint32Array(4)),
        kit.buffer(draws),
        x,
        kit.poisoned(count),
      ],
      [count, px, 1, 1, ...shape, 0],
      linear(count * px),
      x,
      count * px,
    );
    expect(
      error(
        got,
        Float64Array.from(want, (v) => v / 255),
      ),
    ).toBeLessThan(1e-7);
    // The draws did move images: flips and shifts both, and zeros came in.
    expect(draws.filter((_, i) => i % 3 === 0 && draws[i] === 1).length).toBeGreaterThan(0);
    expect(got.filter((v) => v === 0).length).toBeGreaterThan(0);
  });

  it("dropout keeps each unit with probability 1 - rate, scaled by 1 / (1 - rate), the same for the same step of the run, new at the next and for another layer's seed; off outside training", async () => {
    const size = 20_000;
    const rate = 0.25;
    const x = values(size, 1);
    const masks: Float32Array[] = [];
    for (const step of [3, 3, 4]) {
      const cursor = kit.buffer(new Uint32Array([0, 0, step, 0]));
      const y = kit.poisoned(size);
      const mask = kit.poisoned(size);
      const xb = kit.buffer(x);
      const gotY = await once(
        "dropout",
        [xb, y, mask, cursor],
        [size, 42, rate, 1],
        linear(size),
        y,
        size,
        [2],
      );
      const gotMask = await kit.run(mask, size, () => []);
      const keep = 1 / (1 - rate);
      expect(gotMask.every((m) => m === 0 || Math.abs(m - keep) < 1e-6)).toBe(true);
      const kept = gotMask.filter((m) => m > 0).length / size;
      expect(Math.abs(kept - (1 - rate))).toBeLessThan(0.015);
      expect(
        error(
          gotY,
          Float64Array.from(x, (v, i) => v * (gotMask[i] as number)),
        ),
      ).toBeLessThan(1e-6);
      masks.push(gotMask);
    }
    expect(masks[1]).toEqual(masks[0]);
    // Another layer (its own seed) at the same step drops other units.
    const other = kit.poisoned(size);
    await once(
      "dropout",
      [kit.buffer(x), kit.poisoned(size), other, kit.buffer(new Uint32Array([0, 0, 3, 0]))],
      [size, 43, rate, 1],
      linear(size),
      other,
      size,
      [2],
    );
    const otherMask = await kit.run(other, size, () => []);
    expect(otherMask.filter((m, i) => m === (masks[0] as Float32Array)[i]).length / size).toBeLessThan(0.75);
    const same =
      (masks[2] as Float32Array).filter((m, i) => m === (masks[0] as Float32Array)[i]).length / size;
    expect(same).toBeLessThan(0.75);
    const y = kit.poisoned(size);
    const off = await once(
      "dropout",
      [kit.buffer(x), y, kit.poisoned(size), kit.buffer(new Uint32Array(4))],
      [size, 42, rate, 0],
      linear(size),
      y,
      size,
      [2],
    );
    expect(error(off, Float64Array.from(x))).toBe(0);
  });

  it("dropoutGrad passes the gradient through the forward pass's mask", async () => {
    const size = 500;
    const g = values(size, 2);
    const mask = values(size, 3).map((v) => (v > 0 ? 2 : 0));
    const gx = kit.poisoned(size);
    const got = await once(
      "dropoutGrad",
      [kit.buffer(g), kit.buffer(mask), gx],
      [size],
      linear(size),
      gx,
      size,
    );
    expect(
      error(
        got,
        Float64Array.from(g, (v, i) => v * (mask[i] as number)),
      ),
    ).toBeLessThan(1e-7);
  });

  it("stats keeps a step's summed loss and hits at its index, and advance moves the cursor on by the batch", async () => {
    const n = 37;
    const loss = values(n, 4).map((v) => v + 1);
    const hits = Uint32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const cursor = kit.buffer(new Uint32Array([64, 2, 0, 0]));
    const stats = kit.poisoned(8);
    const got = await once(
      "stats",
      [kit.buffer(loss), kit.buffer(hits), stats, cursor],
      [n],
      [1, 1],
      stats,
      8,
    );
    expect(Math.abs((got[4] as number) - loss.reduce((a, b) => a + b, 0))).toBeLessThan(1e-4);
    expect(got[5]).toBe(13);
    expect(got.filter(Number.isNaN).length).toBe(6);
    const moved = await once("advance", [cursor], [n, 1], [1, 1], cursor, 3);
    expect(Array.from(new Uint32Array(moved.buffer))).toEqual([64 + n, 3, 1]);
  });
});
