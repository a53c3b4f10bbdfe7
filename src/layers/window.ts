import type { Padding } from "./types.js";

/** One axis of a convolution or pooling window, by Keras' (TensorFlow's) rules. */
export interface WindowAxis {
  /** Output length: valid floors, same keeps ceil(size / stride). */
  out: number;
  /** Padding before and after (same pads the total, the odd pixel after, as TensorFlow does). */
  before: number;
  after: number;
}

export function windowAxis(size: number, window: number, stride: number, padding: Padding): WindowAxis {
  if (padding === "valid") return { out: Math.floor((size - window) / stride) + 1, before: 0, after: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + window - size, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

/** Keras' output length of a convolution or pooling window along one axis. */
export const outLength = (size: number, window: number, stride: number, padding: Padding): number =>
  windowAxis(size, window, stride, padding).out;

/** A window over an image [h, w, c]: both axes, or why it shrinks the image below 1x1. */
export function windowOver(
  input: number[],
  window: [number, number],
  strides: [number, number],
  padding: Padding,
): { rows: WindowAxis; cols: WindowAxis } | { code: "E111"; message: string } {
  const [h = 0, w = 0] = input;
  const rows = windowAxis(h, window[0], strides[0], padding);
  const cols = windowAxis(w, window[1], strides[1], padding);
  if (rows.out < 1 || cols.out < 1)
    return {
      code: "E111",
      message: `a ${window[0]}x${window[1]} window shrinks the ${h}x${w} image below 1x1`,
    };
  return { rows, cols };
}

/** The error of a layer that needs an image after one that made a flat vector. */
export const needsImage = (className: string) => ({
  code: "E112" as const,
  message: `${className} needs an image, but the layer before it gives a flat vector`,
});

/** The geometry the native step's kernels take (native/ops.h: Geometry, Pool), by name, without the batch. */
export function nativeWindow(
  input: number[],
  window: [number, number],
  strides: [number, number],
  a: { rows: WindowAxis; cols: WindowAxis },
) {
  return {
    h: input[0] ?? 0,
    w: input[1] ?? 0,
    c: input[2] ?? 0,
    kh: window[0],
    kw: window[1],
    sh: strides[0],
    sw: strides[1],
    pt: a.rows.before,
    pl: a.cols.before,
    pb: a.rows.after,
    pr: a.cols.after,
    oh: a.rows.out,
    ow: a.cols.out,
  };
}
