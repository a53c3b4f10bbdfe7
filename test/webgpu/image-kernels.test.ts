import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Padding } from "../../src/layers/types.js";
import { windowOver } from "../../src/layers/window.js";
import { type Window, windowWords } from "../../src/train/backends/webgpu/image-shaders.js";
import { perGroup } from "../../src/train/backends/webgpu/kernels.js";
import { add, error, type GpuKit, openKit, values } from "../helpers/gpu.js";

/**
 * The image layers' WGSL kernels (convolution, its two gradients, max pooling and its gradient)
 * against float64 references written from the definitions, on SwiftShader, with outputs poisoned
 * with NaN first. Geometries cover valid and same padding, strides and non-square windows.
 */
let kit: GpuKit;
beforeAll(async () => {
  kit = await openKit();
});
afterAll(() => kit?.gpu.device.destroy());

const cases: { name: string; kernel: [number, number]; strides: [number, number]; padding: Padding }[] = [
  { name: "3x3 valid", kernel: [3, 3], strides: [1, 1], padding: "valid" },
  { name: "3x3 same, stride 2", kernel: [3, 3], strides: [2, 2], padding: "same" },
  { name: "2x3 same, strides 2x1", kernel: [2, 3], strides: [2, 1], padding: "same" },
];

function geometry(k: (typeof cases)[number], n: number, h: number, w: number, c: number, co: number): Window {
  const a = windowOver([h, w, c], k.kernel, k.strides, k.padding);
  if ("code" in a) throw new Error(a.message);
  return {
    n,
    h,
    w,
    c,
    co,
    oh: a.rows.out,
    ow: a.cols.out,
    kh: k.kernel[0],
    kw: k.kernel[1],
    sh: k.strides[0],
    sw: k.strides[1],
    pt: a.rows.before,
    pl: a.cols.before,
  };
}

/** Calls f(b, oy, ox, ky, kx, y, x) for every input pixel under every output's window. */
function eachTap(
  g: Window,
  f: (b: number, oy: number, ox: number, y: number, x: number, ky: number, kx: number) => void,
) {
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++)
        for (let ky = 0; ky < g.kh; ky++)
          for (let kx = 0; kx < g.kw; kx++) {
            const y = oy * g.sh + ky - g.pt;
            const x = ox * g.sw + kx - g.pl;
            if (y >= 0 && y < g.h && x >= 0 && x < g.w) f(b, oy, ox, y, x, ky, kx);
          }
}

describe("the image layers' WebGPU kernels", { timeout: 120_000 }, () => {
  for (const k of cases) {
    const g = geometry(k, 3, 9, 7, 3, 5);
    const inAt = (b: number, y: number, x: number, c: number) => ((b * g.h + y) * g.w + x) * g.c + c;
    const outAt = (b: number, y: number, x: number, o: number, maps = g.co) =>
      ((b * g.oh + y) * g.ow + x) * maps + o;
    const fAt = (ky: number, kx: number, c: number, o: number) => ((ky * g.kw + kx) * g.c + c) * g.co + o;
    const x = values(g.n * g.h * g.w * g.c, 1);
    const f = values(g.kh * g.kw * g.c * g.co, 2);
    const bias = values(g.co, 3);
    const outSize = g.n * g.oh * g.ow * g.co;
    const gy = values(outSize, 4);

    it(`convForward (${k.name}) adds the bias and applies relu when asked`, async () => {
      const want = new Float64Array(outSize);
      for (let i = 0; i < outSize; i++) want[i] = bias[i % g.co] as number;
      eachTap(g, (b, oy, ox, y, xx, ky, kx) => {
        for (let o = 0; o < g.co; o++)
          for (let c = 0; c < g.c; c++)
            add(
              want,
              outAt(b, oy, ox, o),
              (x[inAt(b, y, xx, c)] as number) * (f[fAt(ky, kx, c, o)] as number),
            );
      });
      for (const relu of [false, true]) {
        const y = kit.poisoned(outSize);
        const got = await kit.run(y, outSize, (p) => [
          kit.kernels.convForward(p, kit.buffer(x), kit.buffer(f), kit.buffer(bias), y, { ...g, relu }),
        ]);
        expect(error(got, relu ? want.map((v) => Math.max(0, v)) : want)).toBeLessThan(1e-6);
      }
    });

    it(`convGradInput and convGradFilter (${k.name}) are the convolution's gradients`, async () => {
      const wantX = new Float64Array(x.length);
      const wantF = new Float64Array(f.length);
      eachTap(g, (b, oy, ox, y, xx, ky, kx) => {
        for (let o = 0; o < g.co; o++)
          for (let c = 0; c < g.c; c++) {
            const gv = gy[outAt(b, oy, ox, o)] as number;
            add(wantX, inAt(b, y, xx, c), gv * (f[fAt(ky, kx, c, o)] as number));
            add(wantF, fAt(ky, kx, c, o), gv * (x[inAt(b, y, xx, c)] as number));
          }
      });
      const gx = kit.poisoned(x.length);
      const gotX = await kit.run(gx, x.length, (p) => [
        kit.kernels.convGradInput(p, kit.buffer(gy), kit.buffer(f), gx, g),
      ]);
      expect(error(gotX, wantX)).toBeLessThan(1e-6);
      const gf = kit.poisoned(f.length);
      const gotF = await kit.run(gf, f.length, (p) => [
        kit.kernels.convGradFilter(p, kit.buffer(x), kit.buffer(gy), gf, g),
      ]);
      expect(error(gotF, wantF)).toBeLessThan(1e-6);
    });

    it(`maxPool and maxPoolGrad (${k.name}) take each window's first maximum and route its gradient there`, async () => {
      const p = { ...g, co: g.c };
      const size = g.n * g.oh * g.ow * g.c;
      // Ties, as a relu before the pool makes them: the first in the window wins.
      const xt = x.map((v) => Math.max(0, Math.round(v * 3) / 3));
      const want = new Float64Array(size).fill(Number.NEGATIVE_INFINITY);
      const arg = new Int32Array(size).fill(-1);
      eachTap(p, (b, oy, ox, y, xx) => {
        for (let c = 0; c < g.c; c++) {
          const o = outAt(b, oy, ox, c, g.c);
          const v = xt[inAt(b, y, xx, c)] as number;
          if (arg[o] === -1 || v > (want[o] as number)) {
            want[o] = v;
            arg[o] = inAt(b, y, xx, c);
          }
        }
      });
      const y = kit.poisoned(size);
      const at = kit.poisoned(size);
      const xb = kit.buffer(xt);
      const gotY = await kit.run(y, size, (pass) => [kit.kernels.maxPool(pass, xb, y, at, p)]);
      expect(error(gotY, want)).toBeLessThan(1e-7);
      const gotArg = new Int32Array((await kit.run(at, size, () => [])).buffer);
      expect(Array.from(gotArg)).toEqual(Array.from(arg));
      const gp = values(size, 5);
      const wantX = new Float64Array(x.length);
      arg.forEach((j, o) => {
        add(wantX, j, gp[o] as number);
      });
      const gx = kit.poisoned(x.length);
      const gotX = await kit.run(gx, x.length, (pass) => [
        kit.kernels.maxPoolGrad(pass, kit.buffer(gp), at, gx, p),
      ]);
      expect(error(gotX, wantX)).toBeLessThan(1e-6);
    });

    it(`avgPool and avgPoolGrad (${k.name}) average the window's pixels inside the image and spread the gradient back by the same count`, async () => {
      const p = { ...g, co: g.c };
      const size = g.n * g.oh * g.ow * g.c;
      const sums = new Float64Array(size);
      const counts = new Float64Array(size);
      eachTap(p, (b, oy, ox, y, xx) => {
        for (let c = 0; c < g.c; c++) {
          const o = outAt(b, oy, ox, c, g.c);
          add(sums, o, x[inAt(b, y, xx, c)] as number);
          add(counts, o, 1);
        }
      });
      const y = kit.poisoned(size);
      const gotY = await kit.run(y, size, (pass) => [
        kit.kernels.dispatchOf(pass, "avgPool", [kit.buffer(x), y], p, size),
      ]);
      expect(
        error(
          gotY,
          sums.map((v, o) => v / (counts[o] as number)),
        ),
      ).toBeLessThan(1e-6);
      const gp = values(size, 6);
      const wantX = new Float64Array(x.length);
      eachTap(p, (b, oy, ox, yy, xx) => {
        for (let c = 0; c < g.c; c++) {
          const o = outAt(b, oy, ox, c, g.c);
          add(wantX, inAt(b, yy, xx, c), (gp[o] as number) / (counts[o] as number));
        }
      });
      const gx = kit.poisoned(x.length);
      const gotX = await kit.run(gx, x.length, (pass) => [
        kit.kernels.dispatchOf(pass, "avgPoolGrad", [kit.buffer(gp), gx], p, x.length),
      ]);
      expect(error(gotX, wantX)).toBeLessThan(1e-6);
    });
  }

  for (const k of cases)
    it(`depthwise and its two gradients (${k.name}, 2 kernels per channel) are a separable convolution's first half`, async () => {
      const mult = 2;
      const g = { ...geometry(k, 2, 8, 7, 3, 6), mult };
      const maps = g.c * mult;
      const inAt = (b: number, y: number, x: number, c: number) => ((b * g.h + y) * g.w + x) * g.c + c;
      const outAt = (b: number, y: number, x: number, j: number) => ((b * g.oh + y) * g.ow + x) * maps + j;
      const fAt = (ky: number, kx: number, j: number) => (ky * g.kw + kx) * maps + j;
      const x = values(g.n * g.h * g.w * g.c, 11);
      const f = values(g.kh * g.kw * maps, 12);
      const size = g.n * g.oh * g.ow * maps;
      const gy = values(size, 13);
      const want = new Float64Array(size);
      const wantF = new Float64Array(f.length);
      const wantX = new Float64Array(x.length);
      eachTap(g, (b, oy, ox, y, xx, ky, kx) => {
        for (let j = 0; j < maps; j++) {
          const c = Math.floor(j / mult);
          const xv = x[inAt(b, y, xx, c)] as number;
          add(want, outAt(b, oy, ox, j), xv * (f[fAt(ky, kx, j)] as number));
          add(wantF, fAt(ky, kx, j), xv * (gy[outAt(b, oy, ox, j)] as number));
          add(wantX, inAt(b, y, xx, c), (gy[outAt(b, oy, ox, j)] as number) * (f[fAt(ky, kx, j)] as number));
        }
      });
      const y = kit.poisoned(size);
      const got = await kit.run(y, size, (p) => [
        kit.kernels.dispatchOf(p, "depthwise", [kit.buffer(x), kit.buffer(f), y], g, size),
      ]);
      expect(error(got, want)).toBeLessThan(1e-6);
      const gf = kit.poisoned(f.length);
      const gotF = await kit.run(gf, f.length, (p) => {
        const d = kit.kernels.prepare(
          "depthwiseGradFilter",
          [kit.buffer(x), kit.buffer(gy), gf],
          windowWords(g),
          perGroup(f.length),
        );
        kit.kernels.encode(p, d);
        return [d.uniform];
      });
      expect(error(gotF, wantF)).toBeLessThan(1e-6);
      const gx = kit.poisoned(x.length);
      const gotX = await kit.run(gx, x.length, (p) => [
        kit.kernels.dispatchOf(p, "depthwiseGradInput", [kit.buffer(gy), kit.buffer(f), gx], g, x.length),
      ]);
      expect(error(gotX, wantX)).toBeLessThan(1e-6);
    });

  it("globalPool averages each channel over the image's cells, and globalPoolGrad spreads the gradient evenly", async () => {
    const [n, cells, c] = [3, 35, 6];
    const x = values(n * cells * c, 7);
    const win: Window = {
      n,
      h: cells,
      w: 1,
      c,
      co: c,
      oh: 1,
      ow: 1,
      kh: cells,
      kw: 1,
      sh: 1,
      sw: 1,
      pt: 0,
      pl: 0,
    };
    const want = new Float64Array(n * c);
    for (const [i, v] of x.entries()) add(want, Math.floor(i / (cells * c)) * c + (i % c), v / cells);
    const y = kit.poisoned(n * c);
    const got = await kit.run(y, n * c, (p) => [
      kit.kernels.dispatchOf(p, "globalPool", [kit.buffer(x), y], win, n * c),
    ]);
    expect(error(got, want)).toBeLessThan(1e-6);
    const gy = values(n * c, 8);
    const gx = kit.poisoned(x.length);
    const gotX = await kit.run(gx, x.length, (p) => [
      kit.kernels.dispatchOf(p, "globalPoolGrad", [kit.buffer(gy), gx], win, x.length),
    ]);
    expect(
      error(
        gotX,
        Float64Array.from(x, (_, i) => (gy[Math.floor(i / (cells * c)) * c + (i % c)] as number) / cells),
      ),
    ).toBeLessThan(1e-7);
  });
});
