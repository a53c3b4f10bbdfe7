import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../src/train/backends/index.js";
import { Rng } from "../../src/train/rng.js";
import { type Tensor, tf } from "../../src/train/tf.js";

/**
 * Every kernel cnnp registers for the wasm and native back ends, against the cpu back end's, on
 * random inputs of the shapes that matter: odd sizes, 1 and many channels, strides, valid and same
 * padding, batch 1. Relative error = max |theirs - cpu| / max |cpu|. The native back end must be
 * built (npm ci does it when oneDNN is installed); CNNP_SKIP_NATIVE=1 leaves it out on purpose.
 */
type Fast = "wasm" | "native";
const fast: Fast[] = process.env.CNNP_SKIP_NATIVE ? ["wasm"] : ["wasm", "native"];
type Inputs = Record<string, { shape: number[]; values?: Float32Array }>;

function random(shape: number[], rng: Rng): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.next() * 2 - 1;
  return out;
}

async function on(
  backend: "cpu" | Fast,
  kernel: string,
  inputs: Inputs,
  attrs: object,
): Promise<Float32Array> {
  await selectBackend(backend);
  const ts: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.values as Float32Array, v.shape);
  const out = tf.engine().runKernel(kernel, ts, attrs as never) as Tensor;
  const data = out.dataSync() as Float32Array;
  tf.dispose([out, ...Object.values(ts)]);
  return Float32Array.from(data);
}

function relativeError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
    expect(Number.isNaN(a[i])).toBe(false);
  }
  return diff / Math.max(scale, 1e-12);
}

async function compareOn(
  backend: Fast,
  kernel: string,
  inputs: Inputs,
  attrs: object,
  seed: number,
  cpuKernel = kernel,
): Promise<number> {
  const rng = new Rng(seed);
  for (const v of Object.values(inputs)) v.values = random(v.shape, rng);
  const cpu = await on("cpu", cpuKernel, inputs, attrs);
  const theirs = await on(backend, kernel, inputs, attrs);
  return relativeError(theirs, cpu);
}

interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: [number, number];
  s: number;
  pad: "valid" | "same";
}

const convCases: ConvCase[] = [
  { n: 32, h: 28, w: 28, ci: 1, co: 32, k: [3, 3], s: 1, pad: "valid" }, // the main model's first conv
  { n: 32, h: 13, w: 13, ci: 32, co: 32, k: [3, 3], s: 1, pad: "valid" }, // and its second
  { n: 1, h: 7, w: 9, ci: 3, co: 5, k: [3, 3], s: 1, pad: "same" },
  { n: 2, h: 11, w: 10, ci: 4, co: 6, k: [3, 2], s: 2, pad: "valid" },
  { n: 3, h: 9, w: 9, ci: 2, co: 7, k: [5, 5], s: 2, pad: "same" },
  { n: 2, h: 6, w: 5, ci: 1, co: 1, k: [1, 1], s: 1, pad: "valid" },
  { n: 1, h: 8, w: 8, ci: 40, co: 3, k: [3, 3], s: 3, pad: "same" },
];

function outSize(c: ConvCase): [number, number] {
  if (c.pad === "same") return [Math.ceil(c.h / c.s), Math.ceil(c.w / c.s)];
  return [Math.floor((c.h - c.k[0]) / c.s) + 1, Math.floor((c.w - c.k[1]) / c.s) + 1];
}

describe.each(fast)("%s training kernels match the cpu back end", { timeout: 120_000 }, (backend) => {
  const compare = (kernel: string, inputs: Inputs, attrs: object, seed: number) =>
    compareOn(backend, kernel, inputs, attrs, seed);
  beforeAll(async () => {
    await selectBackend(backend);
  });

  convCases.forEach((c, i) => {
    const [oh, ow] = outSize(c);
    const name = `${c.n}x${c.h}x${c.w}x${c.ci} * ${c.k.join("x")}x${c.co}, stride ${c.s}, ${c.pad}`;
    it(`Conv2DBackpropFilter ${name}`, async () => {
      const err = await compare(
        "Conv2DBackpropFilter",
        { x: { shape: [c.n, c.h, c.w, c.ci] }, dy: { shape: [c.n, oh, ow, c.co] } },
        { strides: c.s, pad: c.pad, dataFormat: "NHWC", filterShape: [...c.k, c.ci, c.co] },
        100 + i,
      );
      expect(err).toBeLessThan(1e-4);
    });
    it(`Conv2DBackpropInput ${name}`, async () => {
      const err = await compare(
        "Conv2DBackpropInput",
        { dy: { shape: [c.n, oh, ow, c.co] }, filter: { shape: [...c.k, c.ci, c.co] } },
        { strides: c.s, pad: c.pad, dataFormat: "NHWC", inputShape: [c.n, c.h, c.w, c.ci] },
        200 + i,
      );
      expect(err).toBeLessThan(1e-4);
    });
  });

  const poolCases = [
    { n: 32, h: 26, w: 26, c: 32, k: 2, s: 2, pad: "valid" as const },
    { n: 32, h: 11, w: 11, c: 32, k: 2, s: 2, pad: "valid" as const },
    { n: 1, h: 7, w: 5, c: 3, k: 3, s: 2, pad: "same" as const },
    { n: 2, h: 9, w: 9, c: 1, k: 3, s: 1, pad: "valid" as const },
  ];
  poolCases.forEach((p, i) => {
    it(`MaxPoolGrad ${p.n}x${p.h}x${p.w}x${p.c}, pool ${p.k}, stride ${p.s}, ${p.pad}`, async () => {
      const rng = new Rng(300 + i);
      const x = random([p.n, p.h, p.w, p.c], rng);
      const run = async (b: "cpu" | Fast) => {
        await selectBackend(b);
        const xt = tf.tensor4d(x, [p.n, p.h, p.w, p.c]);
        const g = tf.grad((t: Tensor) => tf.sum(tf.mul(tf.maxPool(t as never, p.k, p.s, p.pad), 1.5)))(xt);
        const out = Float32Array.from(g.dataSync() as Float32Array);
        tf.dispose([xt, g]);
        return out;
      };
      expect(relativeError(await run(backend), await run("cpu"))).toBeLessThan(1e-4);
    });
  });

  it("MaxPoolGrad sends a tie's gradient to the first largest input, as TensorFlow does", async () => {
    const x = new Float32Array([1, 1, 1, 1, 0, 2, 2, 0]);
    for (const b of ["cpu", backend] as const) {
      await selectBackend(b);
      const g = tf.grad((t: Tensor) => tf.sum(tf.maxPool(t as never, 2, 2, "valid")))(
        tf.tensor4d(x, [2, 2, 2, 1]),
      );
      expect(Array.from(g.dataSync())).toEqual([1, 0, 0, 0, 0, 1, 0, 0]);
    }
  });

  for (const [ta, tb] of [
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`BatchMatMul transposeA=${ta} transposeB=${tb}`, async () => {
      const a = ta ? [2, 13, 7] : [2, 7, 13];
      const b = tb ? [2, 5, 13] : [2, 13, 5];
      const err = await compare(
        "BatchMatMul",
        { a: { shape: a }, b: { shape: b } },
        { transposeA: ta, transposeB: tb },
        400,
      );
      expect(err).toBeLessThan(1e-4);
    });
  }

  for (const [shape, axis] of [
    [
      [32, 26, 26, 32],
      [0, 1, 2],
    ],
    [[7, 5], [0]],
    [
      [3, 4, 5],
      [1, 2],
    ],
    [
      [3, 4, 5],
      [0, 2],
    ],
  ] as const) {
    it(`Sum of ${shape.join("x")} over ${axis.join(",")}`, async () => {
      const err = await compare(
        "Sum",
        { x: { shape: [...shape] } },
        { axis: [...axis], keepDims: false },
        500,
      );
      expect(err).toBeLessThan(1e-4);
    });
  }

  it("trains the main model: one step's gradients equal the cpu back end's", async () => {
    const { buildNetwork } = await import("../../src/train/network.js");
    const { compile } = await import("../../src/compile.js");
    const { plan } = await import("../../src/plan/plan.js");
    const c = compile('model main = conv32 pool conv32 pool dense128 dense10\nexperiment "x" {}\n', "x.cnnp");
    const run = plan(c.pipeline as never).runs[0];
    if (!run) throw new Error("no run");
    const rng = new Rng(7);
    const x = random([8, 28, 28, 1], rng).map((v) => Math.abs(v));
    const labels = new Int32Array([0, 1, 2, 3, 4, 5, 6, 7]);
    const grads = async (b: "cpu" | Fast) => {
      await selectBackend(b);
      const net = buildNetwork(run.model, 3);
      const xt = tf.tensor4d(x, [8, 28, 28, 1]);
      const y = tf.oneHot(tf.tensor1d(labels, "int32"), 10);
      const { grads: g } = tf.variableGrads(
        () => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(net.forward(xt, true))), 1))) as never,
        net.variables,
      );
      const out = net.variables.map((v) =>
        Float32Array.from((g[v.name] as Tensor).dataSync() as Float32Array),
      );
      tf.dispose([xt, y, ...Object.values(g)]);
      net.dispose();
      return out;
    };
    const w = await grads(backend);
    const c2 = await grads("cpu");
    w.forEach((g, i) => {
      expect(relativeError(g, c2[i] as Float32Array)).toBeLessThan(1e-4);
    });
  });
});

/** Kernels only the native back end replaces: the forward ones and the element-wise ones. */
describe.runIf(fast.includes("native"))(
  "native forward and element-wise kernels match the cpu back end",
  { timeout: 120_000 },
  () => {
    const compare = (kernel: string, inputs: Inputs, attrs: object, seed: number, cpuKernel = kernel) =>
      compareOn("native", kernel, inputs, attrs, seed, cpuKernel);
    convCases.forEach((c, i) => {
      const name = `${c.n}x${c.h}x${c.w}x${c.ci} * ${c.k.join("x")}x${c.co}, stride ${c.s}, ${c.pad}`;
      const filter = { shape: [...c.k, c.ci, c.co] };
      const attrs = { strides: c.s, pad: c.pad, dataFormat: "NHWC", dilations: [1, 1] };
      it(`Conv2D ${name}`, async () => {
        expect(
          await compare("Conv2D", { x: { shape: [c.n, c.h, c.w, c.ci] }, filter }, attrs, 600 + i),
        ).toBeLessThan(1e-4);
      });
      for (const activation of ["linear", "relu"]) {
        it(`FusedConv2D with bias, ${activation}, ${name}`, async () => {
          const err = await compare(
            "FusedConv2D",
            { x: { shape: [c.n, c.h, c.w, c.ci] }, filter, bias: { shape: [c.co] } },
            { ...attrs, activation },
            700 + i,
          );
          expect(err).toBeLessThan(1e-4);
        });
      }
    });

    for (const activation of ["linear", "relu"]) {
      it(`_FusedMatMul with bias, ${activation}`, async () => {
        const err = await compare(
          "_FusedMatMul",
          { a: { shape: [32, 800] }, b: { shape: [800, 128] }, bias: { shape: [128] } },
          { transposeA: false, transposeB: false, activation },
          800,
        );
        expect(err).toBeLessThan(1e-4);
      });
    }

    it("BatchMatMul with one side a single matrix", async () => {
      expect(
        await compare(
          "BatchMatMul",
          { a: { shape: [1, 9, 4] }, b: { shape: [3, 4, 6] } },
          { transposeA: false, transposeB: false },
          810,
        ),
      ).toBeLessThan(1e-4);
    });

    const poolCases = [
      { n: 32, h: 26, w: 26, c: 32, k: 2, s: 2, pad: "valid" },
      { n: 1, h: 7, w: 5, c: 3, k: 3, s: 2, pad: "same" },
      { n: 2, h: 9, w: 9, c: 1, k: 3, s: 1, pad: "valid" },
    ];
    poolCases.forEach((p, i) => {
      it(`MaxPool ${p.n}x${p.h}x${p.w}x${p.c}, pool ${p.k}, stride ${p.s}, ${p.pad}`, async () => {
        const err = await compare(
          "MaxPool",
          { x: { shape: [p.n, p.h, p.w, p.c] } },
          { filterSize: p.k, strides: p.s, pad: p.pad },
          900 + i,
        );
        expect(err).toBeLessThan(1e-4);
      });
    });

    for (const [kernel, a, b] of [
      ["Add", [32, 26, 26, 32], [32, 26, 26, 32]],
      ["Add", [32, 128], [128]],
      ["Add", [7], [3, 7]],
      ["Sub", [5, 6], [1]],
      ["Sub", [1], [5, 6]],
      ["Multiply", [800, 128], [1]],
      ["Multiply", [3, 4, 5], [4, 5]],
      ["Multiply", [3, 4, 5], [3, 1, 5]],
    ] as const) {
      it(`${kernel} ${a.join("x")} and ${b.join("x")}`, async () => {
        expect(await compare(kernel, { a: { shape: [...a] }, b: { shape: [...b] } }, {}, 1000)).toBeLessThan(
          1e-6,
        );
      });
    }

    it("CnnpReluMaxPoolGrad: max pooling's gradient with the relu's folded in, zeros and ties included", async () => {
      await selectBackend("native");
      // Window 1 is a relu's all-zero output: no gradient at all. Window 2: the first maximum gets it.
      const x = tf.tensor4d(new Float32Array([0, 0, 0, 0, 0, 2, 2, 0]), [2, 2, 2, 1]);
      const dy = tf.tensor4d(new Float32Array([1, 1]), [2, 1, 1, 1]);
      const g = tf.engine().runKernel("CnnpReluMaxPoolGrad", { dy, input: x }, {
        filterSize: 2,
        strides: 2,
        pad: "valid",
      } as never) as Tensor;
      expect(Array.from(g.dataSync())).toEqual([0, 0, 0, 0, 0, 1, 0, 0]);
      tf.dispose([x, dy, g]);
    });

    it("CnnpReluGrad is dy where y > 0, else 0", async () => {
      await selectBackend("native");
      const dy = tf.tensor1d([1, 2, 3, 4]);
      const y = tf.tensor1d([0.5, 0, -1, 2]);
      const g = tf.engine().runKernel("CnnpReluGrad", { dy, y }, {}) as Tensor;
      expect(Array.from(g.dataSync())).toEqual([1, 0, 0, 4]);
      tf.dispose([dy, y, g]);
    });
  },
);
