/**
 * Training kernels for the wasm back end. Stock `@tensorflow/tfjs-backend-wasm` has no
 * Conv2DBackpropFilter (so a conv net cannot train at all), and its Conv2DBackpropInput,
 * MaxPoolGrad and transposed matrix products are plain loops. Here the convolution gradients are
 * rewritten as one im2col copy plus one XNNPACK matrix product, max-pool's gradient as one pass
 * over channel vectors, and transposed products as a transpose plus the fast product.
 */
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs-core";
import { tf } from "../../tf.js";

type Kernel = (args: {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs: NamedAttrMap;
}) => TensorInfo;

interface Geometry {
  n: number;
  h: number;
  w: number;
  ci: number;
  oh: number;
  ow: number;
  co: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
}

function geometry(xShape: number[], filterShape: number[], attrs: NamedAttrMap): Geometry {
  const { strides, pad, dimRoundingMode, dataFormat } = attrs as unknown as {
    strides: number | [number, number];
    pad: "valid" | "same" | number;
    dimRoundingMode?: "floor" | "round" | "ceil";
    dataFormat?: "NHWC" | "NCHW";
  };
  if (dataFormat === "NCHW") throw new Error("cnnp's wasm convolution gradients support NHWC only");
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    ci: info.inChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    co: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    pt: info.padInfo.top,
    pl: info.padInfo.left,
  };
}

function view(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** Copies `len` floats; short runs are faster as a loop than as a subarray copy. */
function copy(dst: Float32Array, at: number, src: Float32Array, from: number, len: number): void {
  if (len >= 48) dst.set(src.subarray(from, from + len), at);
  else for (let j = 0; j < len; j++) dst[at + j] = src[from + j] as number;
}

/** Patches of x as rows: [n*oh*ow, kh*kw*ci], zero where the window hangs over the padding. */
function im2col(x: Float32Array, g: Geometry, out: Float32Array): void {
  const K = g.kh * g.kw * g.ci;
  const padded = g.pt > 0 || g.pl > 0 || (g.oh - 1) * g.sh + g.kh > g.h || (g.ow - 1) * g.sw + g.kw > g.w;
  if (padded) out.fill(0);
  let row = 0;
  for (let n = 0; n < g.n; n++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++, row++) {
        const w0 = ox * g.sw - g.pl;
        const ws = Math.max(0, w0);
        const we = Math.min(g.w, w0 + g.kw);
        if (we <= ws) continue;
        for (let ky = 0; ky < g.kh; ky++) {
          const y = oy * g.sh + ky - g.pt;
          if (y < 0 || y >= g.h) continue;
          const src = ((n * g.h + y) * g.w + ws) * g.ci;
          copy(out, row * K + (ky * g.kw + (ws - w0)) * g.ci, x, src, (we - ws) * g.ci);
        }
      }
    }
  }
}

/** Adds rows of patch gradients back into the image: the adjoint of im2col. */
function col2im(cols: Float32Array, g: Geometry, dx: Float32Array): void {
  const K = g.kh * g.kw * g.ci;
  dx.fill(0);
  let row = 0;
  for (let n = 0; n < g.n; n++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++, row++) {
        const w0 = ox * g.sw - g.pl;
        const ws = Math.max(0, w0);
        const we = Math.min(g.w, w0 + g.kw);
        const len = (we - ws) * g.ci;
        if (len <= 0) continue;
        for (let ky = 0; ky < g.kh; ky++) {
          const y = oy * g.sh + ky - g.pt;
          if (y < 0 || y >= g.h) continue;
          const dst = ((n * g.h + y) * g.w + ws) * g.ci;
          const src = row * K + (ky * g.kw + (ws - w0)) * g.ci;
          for (let j = 0; j < len; j++) dx[dst + j] = (dx[dst + j] as number) + (cols[src + j] as number);
        }
      }
    }
  }
}

/** Kernels of the stock back end that these build on, looked up once registered. */
function stock(name: string): KernelFunc {
  const k = tf.getKernel(name, "wasm");
  if (!k) throw new Error(`the wasm back end has no ${name} kernel`);
  return k.kernelFunc;
}

function reshaped(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

function transpose2d(backend: BackendWasm, t: TensorInfo, rows: number, cols: number): TensorInfo {
  return stock("Transpose")({
    inputs: { x: reshaped(t, [rows, cols]) },
    backend,
    attrs: { perm: [1, 0] },
  }) as TensorInfo;
}

let plainMatMul: KernelFunc;

function matMul(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo {
  return plainMatMul({
    inputs: { a, b },
    backend,
    attrs: { transposeA: false, transposeB: false },
  }) as TensorInfo;
}

/**
 * dW[kh,kw,ci,co] = sum over n,y,x of patch * dy, as one product. The wasm product packs its
 * right-hand operand for every new tensor, so the smaller of patches and dy goes on the right:
 * patches^T . dy, or (dy^T . patches)^T when a patch is shorter than the filter count. (Writing
 * the patches transposed directly measured no faster than copying rows and transposing.)
 */
const conv2DBackpropFilter: Kernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const filterShape = attrs.filterShape as number[];
  const g = geometry(x.shape, filterShape, attrs);
  const M = g.n * g.oh * g.ow;
  const K = g.kh * g.kw * g.ci;
  const temps: TensorInfo[] = [];
  let dw: TensorInfo;
  if (K <= g.co) {
    const cols = backend.makeOutput([M, K], "float32");
    im2col(view(backend, x), g, view(backend, cols));
    const dyT = transpose2d(backend, dy, M, g.co);
    const dwT = matMul(backend, reshaped(dyT, [1, g.co, M]), reshaped(cols, [1, M, K]));
    dw = transpose2d(backend, dwT, g.co, K);
    temps.push(cols, dyT, dwT);
  } else {
    const cols = backend.makeOutput([M, K], "float32");
    im2col(view(backend, x), g, view(backend, cols));
    const colsT = transpose2d(backend, cols, M, K);
    dw = matMul(backend, reshaped(colsT, [1, K, M]), reshaped(dy, [1, M, g.co]));
    temps.push(cols, colsT);
  }
  for (const t of temps) backend.disposeData(t.dataId);
  return reshaped(dw, filterShape);
};

/**
 * dx for stride 1: a forward convolution of dy, padded by the kernel size less the forward
 * padding, with the filter turned 180 degrees and its channels swapped; XNNPACK runs it.
 */
function inputGradByConv(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, g: Geometry): TensorInfo {
  const flipped = backend.makeOutput([g.kh, g.kw, g.co, g.ci], "float32");
  const w = view(backend, filter);
  const f = view(backend, flipped);
  for (let ky = 0; ky < g.kh; ky++) {
    for (let kx = 0; kx < g.kw; kx++) {
      const src = ((g.kh - 1 - ky) * g.kw + (g.kw - 1 - kx)) * g.ci * g.co;
      const dst = (ky * g.kw + kx) * g.co * g.ci;
      for (let ci = 0; ci < g.ci; ci++) {
        for (let co = 0; co < g.co; co++) f[dst + co * g.ci + ci] = w[src + ci * g.co + co] as number;
      }
    }
  }
  const top = g.kh - 1 - g.pt;
  const left = g.kw - 1 - g.pl;
  const padded = stock("PadV2")({
    inputs: { x: dy },
    backend,
    attrs: {
      paddings: [
        [0, 0],
        [top, g.h - g.oh + g.pt],
        [left, g.w - g.ow + g.pl],
        [0, 0],
      ],
      constantValue: 0,
    },
  }) as TensorInfo;
  const dx = stock("Conv2D")({
    inputs: { x: padded, filter: flipped },
    backend,
    attrs: { strides: 1, pad: "valid", dataFormat: "NHWC", dilations: 1 },
  }) as TensorInfo;
  for (const t of [flipped, padded]) backend.disposeData(t.dataId);
  return dx;
}

/** dx: by convolution for stride 1, else col2im(dy [M, co] . W^T [co, K]). */
const conv2DBackpropInput: Kernel = ({ inputs, backend, attrs }) => {
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const inputShape = attrs.inputShape as number[];
  const g = geometry(inputShape, filter.shape, attrs);
  if (g.sh === 1 && g.sw === 1 && g.pt < g.kh && g.pl < g.kw) return inputGradByConv(backend, dy, filter, g);
  const M = g.n * g.oh * g.ow;
  const K = g.kh * g.kw * g.ci;
  const wT = transpose2d(backend, filter, K, g.co);
  const cols = matMul(backend, reshaped(dy, [1, M, g.co]), reshaped(wT, [1, g.co, K]));
  const dx = backend.makeOutput(inputShape, "float32");
  col2im(view(backend, cols), g, view(backend, dx));
  for (const t of [wT, cols]) backend.disposeData(t.dataId);
  return dx;
};

/** The common 2x2, stride 2, unpadded case: four compares per channel, no scratch arrays. */
function maxPoolGrad2x2(
  xv: Float32Array,
  dyv: Float32Array,
  dxv: Float32Array,
  N: number,
  H: number,
  W: number,
  C: number,
  OH: number,
  OW: number,
): void {
  const down = W * C;
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, o += C) {
        const a = ((n * H + oy * 2) * W + ox * 2) * C;
        const b = a + C;
        const c = a + down;
        const d = c + C;
        for (let ch = 0; ch < C; ch++) {
          let at = a + ch;
          let v = xv[at] as number;
          const vb = xv[b + ch] as number;
          if (vb > v) {
            v = vb;
            at = b + ch;
          }
          const vc = xv[c + ch] as number;
          if (vc > v) {
            v = vc;
            at = c + ch;
          }
          if ((xv[d + ch] as number) > v) at = d + ch;
          dxv[at] = dyv[o + ch] as number;
        }
      }
    }
  }
}

/**
 * Gradient of max pooling: each output's gradient goes to the first largest input of its window
 * (TensorFlow's rule), computed for all channels of a position at once.
 */
const maxPoolGrad: Kernel = ({ inputs, backend, attrs }) => {
  const dy = inputs.dy as TensorInfo;
  const input = inputs.input as TensorInfo;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: "valid" | "same" | number;
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, "float32");
  const xv = view(backend, input);
  const dyv = view(backend, dy);
  const dxv = view(backend, dx);
  dxv.fill(0);
  const C = info.inChannels;
  const H = info.inHeight;
  const W = info.inWidth;
  if (
    info.filterHeight === 2 &&
    info.filterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    info.outHeight * 2 <= H &&
    info.outWidth * 2 <= W
  ) {
    maxPoolGrad2x2(xv, dyv, dxv, info.batchSize, H, W, C, info.outHeight, info.outWidth);
    return dx;
  }
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  let o = 0;
  for (let n = 0; n < info.batchSize; n++) {
    for (let oy = 0; oy < info.outHeight; oy++) {
      const y0 = oy * info.strideHeight - info.padInfo.top;
      const ys = Math.max(0, y0);
      const ye = Math.min(H, y0 + info.filterHeight);
      for (let ox = 0; ox < info.outWidth; ox++, o += C) {
        const x0 = ox * info.strideWidth - info.padInfo.left;
        const xs = Math.max(0, x0);
        const xe = Math.min(W, x0 + info.filterWidth);
        if (ye <= ys || xe <= xs) continue;
        // The window's first element starts the search; later ones win only when strictly larger.
        const first = ((n * H + ys) * W + xs) * C;
        for (let c = 0; c < C; c++) {
          best[c] = xv[first + c] as number;
          where[c] = first + c;
        }
        for (let y = ys; y < ye; y++) {
          for (let x = y === ys ? xs + 1 : xs; x < xe; x++) {
            const base = ((n * H + y) * W + x) * C;
            for (let c = 0; c < C; c++) {
              const v = xv[base + c] as number;
              if (v > (best[c] as number)) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        for (let c = 0; c < C; c++) {
          const at = where[c] as number;
          dxv[at] = (dxv[at] as number) + (dyv[o + c] as number);
        }
      }
    }
  }
  return dx;
};

/** Persistent vectors of ones, by length, for sums done as products. */
const onesBySize = new Map<number, TensorInfo>();

function ones(backend: BackendWasm, n: number): TensorInfo {
  let t = onesBySize.get(n);
  if (!t) {
    t = backend.makeOutput([n, 1], "float32");
    view(backend, t).fill(1);
    onesBySize.set(n, t);
  }
  return t;
}

/**
 * Sums over leading axes (the bias gradients: dy summed over batch, height and width) as
 * x^T[rest, rows] . ones[rows, 1]. The wasm product packs its right-hand operand on every new
 * tensor, so the right-hand side is the persistent vector of ones; the stock kernel is slower.
 */
const sum: Kernel = (args) => {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const rank = x.shape.length;
  const axes = tf.util
    .parseAxisParam(attrs.axis as number | number[], x.shape)
    .slice()
    .sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (x.dtype !== "float32" || !leading) return stockSum(args);
  const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
  const rest = x.shape.slice(axes.length);
  const width = rest.reduce((a, b) => a * b, 1);
  const xT = transpose2d(backend, x, rows, width);
  const out = matMul(backend, reshaped(xT, [1, width, rows]), reshaped(ones(backend, rows), [1, rows, 1]));
  backend.disposeData(xT.dataId);
  return reshaped(out, attrs.keepDims ? [...axes.map(() => 1), ...rest] : rest);
};
let stockSum: Kernel;

/** Transposed products go through a transpose and the fast untransposed product. */
const batchMatMul: Kernel = ({ inputs, backend, attrs }) => {
  let a = inputs.a as TensorInfo;
  let b = inputs.b as TensorInfo;
  const temps: TensorInfo[] = [];
  const swapLast = (t: TensorInfo) => {
    const perm = t.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1] as number, perm[r - 2] as number];
    const out = stock("Transpose")({ inputs: { x: t }, backend, attrs: { perm } }) as TensorInfo;
    temps.push(out);
    return out;
  };
  if (attrs.transposeA) a = swapLast(a);
  if (attrs.transposeB) b = swapLast(b);
  const out = plainMatMul({
    inputs: { a, b },
    backend,
    attrs: { transposeA: false, transposeB: false },
  }) as TensorInfo;
  for (const t of temps) backend.disposeData(t.dataId);
  return out;
};

const fast: Record<string, Kernel> = {
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Conv2DBackpropInput: conv2DBackpropInput,
  MaxPoolGrad: maxPoolGrad,
  BatchMatMul: batchMatMul,
  Sum: sum,
};
let stockKernels: Map<string, KernelConfig | undefined> | undefined;
let mode: "fast" | "stock" | undefined;

/**
 * Registers cnnp's kernels for the wasm back end: `fast` (the default) all of them; `stock` only
 * the missing filter gradient, with the stock kernels everywhere else (what the bench compares to).
 */
export function useWasmKernels(want: "fast" | "stock" = "fast"): void {
  if (mode === want) return;
  if (!stockKernels) {
    stockKernels = new Map(Object.keys(fast).map((k) => [k, tf.getKernel(k, "wasm")]));
    const mm = stockKernels.get("BatchMatMul");
    if (!mm) throw new Error("the wasm back end has no BatchMatMul kernel");
    plainMatMul = mm.kernelFunc;
    stockSum = (stockKernels.get("Sum")?.kernelFunc ?? stock("Sum")) as unknown as Kernel;
  }
  for (const [name, kernel] of Object.entries(fast)) {
    if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
    const original = stockKernels.get(name);
    if (want === "fast" || !original) {
      tf.registerKernel({
        kernelName: name,
        backendName: "wasm",
        kernelFunc: kernel as unknown as KernelFunc,
      });
    } else {
      tf.registerKernel(original);
    }
  }
  mode = want;
}

/** Which kernels the wasm back end runs with. */
export function wasmKernelMode(): "fast" | "stock" | undefined {
  return mode;
}
