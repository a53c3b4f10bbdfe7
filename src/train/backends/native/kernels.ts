import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { tf } from "../../tf.js";
import type { Addon } from "./addon.js";
import type { BufferPool } from "./pool.js";

type Backend = {
  data: { get(id: unknown): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: string, values?: unknown): TensorInfo;
  pool: BufferPool;
};
type Inputs = Record<string, TensorInfo | undefined>;
type Attrs = Record<string, unknown>;

const { backend_util } = tf;

function values(b: Backend, t: TensorInfo): Float32Array {
  const v = b.data.get(t.dataId).values;
  if (!(v instanceof Float32Array)) throw new Error(`native: ${t.dtype} tensor where float32 was expected`);
  return v;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

type ConvInfo = ReturnType<typeof backend_util.computeConv2DInfo>;

/** The addon's geometry: [n,h,w,ci, kh,kw,co, sh,sw, pt,pl,pb,pr, oh,ow]. */
export function geometry(c: ConvInfo): number[] {
  return [
    c.batchSize,
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.filterHeight,
    c.filterWidth,
    c.outChannels,
    c.strideHeight,
    c.strideWidth,
    c.padInfo.top,
    c.padInfo.left,
    c.padInfo.bottom,
    c.padInfo.right,
    c.outHeight,
    c.outWidth,
  ];
}

/** oneDNN takes NHWC without dilation; anything else goes to the cpu back end's kernel. */
function plain(c: ConvInfo): boolean {
  return c.dataFormat === "channelsLast" && c.dilationHeight === 1 && c.dilationWidth === 1;
}

function convInfo(xShape: number[], filterShape: number[], a: Attrs): ConvInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides as [number, number],
    (a.dilations as [number, number] | number | undefined) ?? 1,
    a.pad as "valid",
    a.dimRoundingMode as "floor" | undefined,
    false,
    backend_util.convertConv2DDataFormat((a.dataFormat as "NHWC") ?? "NHWC"),
  );
}

function poolInfo(xShape: number[], a: Attrs) {
  return backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    a.filterSize as [number, number],
    a.strides as [number, number],
    1,
    a.pad as "valid",
    a.dimRoundingMode as "floor" | undefined,
  );
}

/**
 * The kernels the native back end runs in oneDNN or in the addon's loops. Each returns null when
 * a case is outside what it handles, and the cpu back end's kernel runs instead.
 */
export function nativeKernels(
  addon: Addon,
): Record<string, (i: Inputs, b: Backend, a: Attrs) => TensorInfo | null> {
  const conv = (i: Inputs, b: Backend, a: Attrs, bias: TensorInfo | undefined, relu: boolean) => {
    const x = i.x as TensorInfo;
    const f = i.filter as TensorInfo;
    const c = convInfo(x.shape, f.shape, a);
    if (!plain(c) || x.dtype !== "float32") return null;
    const y = b.pool.take(size(c.outShape));
    addon.conv2d(values(b, x), values(b, f), bias ? values(b, bias) : null, y, geometry(c), relu);
    return b.makeTensorInfo(c.outShape, "float32", y);
  };
  const poolGrad = (i: Inputs, b: Backend, a: Attrs, relu: boolean) => {
    const x = i.input as TensorInfo;
    const p = poolInfo(x.shape, a);
    const dx = tiles(p) ? b.pool.take(size(x.shape)) : b.pool.takeZeroed(size(x.shape));
    addon.maxPoolGrad(values(b, i.dy as TensorInfo), values(b, x), dx, poolGeometry(p), relu);
    return b.makeTensorInfo(x.shape, "float32", dx);
  };
  return {
    Conv2D: (i, b, a) => conv(i, b, a, undefined, false),
    FusedConv2D: (i, b, a) => {
      const act = (a.activation as string) ?? "linear";
      if ((act !== "linear" && act !== "relu") || i.preluActivationWeights) return null;
      const bias = i.bias;
      if (bias && size(bias.shape) !== (i.filter as TensorInfo).shape[3]) return null;
      return conv(i, b, a, bias, act === "relu");
    },
    Conv2DBackpropFilter: (i, b, a) => {
      const x = i.x as TensorInfo;
      const c = convInfo(x.shape, a.filterShape as number[], a);
      if (!plain(c)) return null;
      const df = b.pool.take(size(c.filterShape));
      addon.conv2dBackwardFilter(values(b, x), values(b, i.dy as TensorInfo), df, null, geometry(c));
      return b.makeTensorInfo(c.filterShape, "float32", df);
    },
    Conv2DBackpropInput: (i, b, a) => {
      const f = i.filter as TensorInfo;
      const c = convInfo(a.inputShape as number[], f.shape, a);
      if (!plain(c)) return null;
      const dx = b.pool.take(size(c.inShape));
      addon.conv2dBackwardData(values(b, i.dy as TensorInfo), values(b, f), dx, geometry(c));
      return b.makeTensorInfo(c.inShape, "float32", dx);
    },
    BatchMatMul: (i, b, a) => matMul(addon, i, b, a, undefined, false),
    _FusedMatMul: (i, b, a) => {
      const act = (a.activation as string) ?? "linear";
      if ((act !== "linear" && act !== "relu") || i.preluActivationWeights) return null;
      return matMul(addon, i, b, a, i.bias, act === "relu");
    },
    MaxPool: (i, b, a) => {
      const x = i.x as TensorInfo;
      const p = poolInfo(x.shape, a);
      if (p.dilationHeight !== 1 || p.dilationWidth !== 1) return null;
      const y = b.pool.take(size(p.outShape));
      addon.maxPool(values(b, x), y, poolGeometry(p));
      return b.makeTensorInfo(p.outShape, "float32", y);
    },
    MaxPoolGrad: (i, b, a) => poolGrad(i, b, a, false),
    // The gradient of relu then max pooling in one pass (see network.ts): x is the relu's output.
    CnnpReluMaxPoolGrad: (i, b, a) => poolGrad(i, b, a, true),
    Sum: (i, b, a) => {
      const x = i.x as TensorInfo;
      if (x.dtype !== "float32" || x.shape.length < 2) return null;
      if (a.axis === null || a.axis === undefined) return null;
      const given = typeof a.axis === "number" ? [a.axis] : (a.axis as number[]);
      const axes = given.map((ax) => (ax < 0 ? ax + x.shape.length : ax)).sort((p, q) => p - q);
      const lead = x.shape.length - 1;
      if (axes.length !== lead || axes.some((ax: number, k: number) => ax !== k)) return null;
      const c = x.shape[lead] as number;
      const out = new Float32Array(c);
      addon.sumRows(values(b, x), out);
      const shape = a.keepDims ? [...x.shape.slice(0, lead).map(() => 1), c] : [c];
      return b.makeTensorInfo(shape, "float32", out);
    },
    Add: (i, b) => binary(addon, i, b, 0),
    Sub: (i, b) => binary(addon, i, b, 1),
    Multiply: (i, b) => binary(addon, i, b, 2),
    CnnpReluGrad: (i, b) => {
      const dy = i.dy as TensorInfo;
      const dx = b.pool.take(size(dy.shape));
      addon.reluGrad(values(b, dy), values(b, i.y as TensorInfo), dx);
      return b.makeTensorInfo(dy.shape, "float32", dx);
    },
  };
}

/**
 * Float32 element-wise a op b when b has a's shape, is a scalar, or is a's trailing dimensions
 * (a bias); the cpu kernel's general broadcasting computes an index per element.
 */
function binary(addon: Addon, i: Inputs, b: Backend, op: 0 | 1 | 2): TensorInfo | null {
  let A = i.a as TensorInfo;
  let B = i.b as TensorInfo;
  if (A.dtype !== "float32" || B.dtype !== "float32") return null;
  let swapped = false;
  if (size(A.shape) < size(B.shape)) {
    [A, B] = [B, A];
    swapped = true;
  }
  const m = size(B.shape);
  const trailing =
    B.shape.length <= A.shape.length &&
    B.shape.every((d, k) => d === A.shape[A.shape.length - B.shape.length + k]);
  if (m !== 1 && !trailing) return null;
  if (m === 1 && B.shape.length > A.shape.length) return null;
  const out = b.pool.take(size(A.shape));
  addon.binary(values(b, A), values(b, B), out, op, swapped);
  return b.makeTensorInfo(A.shape, "float32", out);
}

/** A 2x2, stride-2, unpadded pool: the addon writes every input's gradient, zeros included. */
function tiles(p: ReturnType<typeof poolInfo>): boolean {
  return (
    p.filterHeight === 2 &&
    p.filterWidth === 2 &&
    p.strideHeight === 2 &&
    p.strideWidth === 2 &&
    p.padInfo.top === 0 &&
    p.padInfo.left === 0 &&
    p.outHeight === Math.floor(p.inHeight / 2) &&
    p.outWidth === Math.floor(p.inWidth / 2)
  );
}

export function poolGeometry(p: ReturnType<typeof poolInfo>): number[] {
  return [
    p.batchSize,
    p.inHeight,
    p.inWidth,
    p.inChannels,
    p.filterHeight,
    p.filterWidth,
    p.strideHeight,
    p.strideWidth,
    p.padInfo.top,
    p.padInfo.left,
    p.outHeight,
    p.outWidth,
  ];
}

function matMul(
  addon: Addon,
  i: Inputs,
  b: Backend,
  a: Attrs,
  bias: TensorInfo | undefined,
  relu: boolean,
): TensorInfo | null {
  const A = i.a as TensorInfo;
  const B = i.b as TensorInfo;
  if (A.dtype !== "float32" || B.dtype !== "float32" || A.shape.length < 2 || B.shape.length < 2) return null;
  const ta = Boolean(a.transposeA);
  const tb = Boolean(a.transposeB);
  const ra = A.shape.length;
  const rb = B.shape.length;
  const m = A.shape[ta ? ra - 1 : ra - 2] as number;
  const k = A.shape[ta ? ra - 2 : ra - 1] as number;
  const n = B.shape[tb ? rb - 2 : rb - 1] as number;
  const batchA = size(A.shape.slice(0, -2));
  const batchB = size(B.shape.slice(0, -2));
  // Equal batches, or one side a single matrix; other broadcasts go to the cpu kernel.
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  if (A.shape.length !== B.shape.length && batchA !== 1 && batchB !== 1) return null;
  const batch = Math.max(batchA, batchB);
  const outer = (batchA >= batchB ? A : B).shape.slice(0, -2);
  const shape = [...outer, m, n];
  const c = b.pool.take(batch * m * n);
  const av = values(b, A);
  const bv = values(b, B);
  if (batchA === batch && batchB === batch) addon.sgemm(ta, tb, m, n, k, av, bv, c, batch);
  else if (batchA === 1)
    for (let j = 0; j < batch; j++)
      addon.sgemm(
        ta,
        tb,
        m,
        n,
        k,
        av,
        bv.subarray(j * k * n, (j + 1) * k * n),
        c.subarray(j * m * n, (j + 1) * m * n),
        1,
      );
  else
    for (let j = 0; j < batch; j++)
      addon.sgemm(
        ta,
        tb,
        m,
        n,
        k,
        av.subarray(j * m * k, (j + 1) * m * k),
        bv,
        c.subarray(j * m * n, (j + 1) * m * n),
        1,
      );
  if (bias) {
    if (size(bias.shape) !== n) return null;
    addon.biasAdd(c, values(b, bias), c, relu);
  } else if (relu) return null;
  return b.makeTensorInfo(shape, "float32", c);
}

/** Registers the cpu back end's kernels for `native`, with the native ones in front of them. */
export function registerNativeKernels(addon: Addon): void {
  const cpu = new Map(tf.getKernelsForBackend("cpu").map((k: KernelConfig) => [k.kernelName, k]));
  const natives = nativeKernels(addon);
  for (const [name, k] of cpu) {
    if (!natives[name]) tf.registerKernel({ ...k, backendName: "native" });
  }
  for (const [name, run] of Object.entries(natives)) {
    const fallback = cpu.get(name)?.kernelFunc;
    const kernelFunc: KernelFunc = (args) => {
      const out = run(args.inputs as Inputs, args.backend as unknown as Backend, args.attrs as Attrs);
      if (out) return out;
      if (!fallback) throw new Error(`native: ${name} is not supported for these inputs`);
      return fallback(args);
    };
    tf.registerKernel({ kernelName: name, backendName: "native", kernelFunc });
  }
}
