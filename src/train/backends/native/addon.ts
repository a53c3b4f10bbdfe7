import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

/** The compiled addon (native/cnnp_native.cc): oneDNN kernels working in place on Float32Arrays. */
export interface Addon {
  conv2d(
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    geometry: number[],
    relu: boolean,
  ): void;
  conv2dBackwardData(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: number[]): void;
  conv2dBackwardFilter(
    x: Float32Array,
    dy: Float32Array,
    dFilter: Float32Array,
    dBias: Float32Array | null,
    geometry: number[],
  ): void;
  convInfo(geometry: number[]): string;
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    batch: number,
  ): void;
  maxPool(x: Float32Array, y: Float32Array, geometry: number[]): void;
  /** With `relu`, only where the window's maximum is above 0: the relu's gradient folded in. */
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, geometry: number[], relu?: boolean): void;
  reluGrad(dy: Float32Array, y: Float32Array, dx: Float32Array): void;
  biasAdd(x: Float32Array, bias: Float32Array, y: Float32Array, relu: boolean): void;
  sumRows(x: Float32Array, out: Float32Array): void;
  /** out = a op b (b repeating over a), or b op a when swapped; op 0 add, 1 sub, 2 mul. */
  binary(a: Float32Array, b: Float32Array, out: Float32Array, op: 0 | 1 | 2, swapped: boolean): void;
  /**
   * A network's training state for netStep: each layer an object naming its kind and settings (net.ts). `slices`:
   * the parts of a batch a step trains at once, a thread each (1: the whole batch, each kernel on
   * every thread); a network with batch statistics always runs whole.
   */
  netCreate(layers: object[], input: number, classes: number, batch: number, slices: number): object;
  /** One training step in place on `weights`; out = [mean loss, correct predictions]. */
  netStep(
    net: object,
    images: Uint8Array,
    labels: Uint8Array,
    items: Int32Array,
    weights: Float32Array[],
    learningRate: number,
    momentum: number,
    rng: Uint32Array,
    out: Float64Array,
  ): void;
  /** The logits of images first..first+n (no dropout) into out. */
  netInfer(
    net: object,
    images: Uint8Array,
    first: number,
    n: number,
    weights: Float32Array[],
    out: Float32Array,
  ): void;
  /** Seconds the net's steps spent by phase, in the order of `stepPhases`. */
  netProfile(net: object): Float64Array;
  /** How many slices of a batch the net's steps train at once (1 with batch statistics). */
  netSlices(net: object): number;
  /** Momentum's velocity of each trained array copied into `arrays`, or (write) from them. */
  netVelocity(net: object, arrays: Float32Array[], write: boolean): void;
  /** Frees the net's buffers; the handle is unusable afterwards. */
  netDestroy(net: object): void;
  version(): string;
  threads(): number;
}

/** The phases of a native training step (native/net.h's Phase). */
export const stepPhases = [
  "input",
  "conv forward",
  "conv filter gradient",
  "conv input gradient",
  "pool",
  "pool gradient",
  "dense",
  "loss",
  "element-wise",
  "update",
] as const;

/**
 * Where `npm install` builds the addon (node-gyp's build/Release), from dist/train/backends/native;
 * CNNP_NATIVE_ADDON names another build.
 */
export const addonPath =
  process.env.CNNP_NATIVE_ADDON ??
  fileURLToPath(new URL("../../../../build/Release/cnnp_native.node", import.meta.url));

/** How to get the native back end, for the message when it is missing. */
export const installHint =
  "install oneDNN (Debian/Ubuntu: sudo apt-get install libdnnl-dev; macOS: brew install onednn), then run npm rebuild cnnp (or npm run build:native in a checkout)";

/** The addon, or why it cannot be used. */
export function loadAddon(): Addon | string {
  if (!existsSync(addonPath)) return `the native back end is not built (${installHint})`;
  try {
    return require(addonPath) as Addon;
  } catch (e) {
    const first = ((e as Error).message ?? String(e)).split("\n")[0];
    return `the native back end did not load: ${first} (${installHint})`;
  }
}
