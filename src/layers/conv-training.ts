import type { Tensor, Tf } from "./layer.js";
import type { Padding } from "./types.js";

type Tensor4D = ReturnType<Tf["tensor4d"]>;

/**
 * A conv layer for training: convolution, bias and relu in one fused kernel forward (XNNPACK's
 * epilogue on wasm), and a gradient that computes only what is needed: the filter and bias
 * always, the input's only when the input is not the data. tfjs' own fused op refuses to fuse
 * while gradients are recorded, and its gradient computes the input's even for the first layer.
 */
export function trainingConv(
  tf: Tf,
  x: Tensor4D,
  filter: Tensor4D,
  bias: Tensor,
  strides: [number, number],
  pad: Padding,
  activation: "relu" | "linear",
  inputNeedsGradient: boolean,
  /** The relu's gradient is applied downstream (by `reluMaxPool`'s), so skip it here. */
  reluGradDownstream: boolean,
  /** The back end's one-kernel relu gradient (CnnpReluGrad), when it has one. */
  reluGradKernel: boolean,
): Tensor4D {
  const attrs = { strides, pad, dataFormat: "NHWC", dimRoundingMode: undefined };
  const op = tf.customGrad((...args: unknown[]) => {
    const [xi, fi, bi, save] = args as [Tensor4D, Tensor4D, Tensor, (ts: Tensor[]) => void];
    const y = tf.engine().runKernel("FusedConv2D", { x: xi, filter: fi, bias: bi }, {
      ...attrs,
      dilations: [1, 1],
      activation,
    } as never) as Tensor4D;
    save([xi, fi, y]);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, fs, ys] = saved as [Tensor4D, Tensor4D, Tensor4D];
        // A back end may have the relu gradient as one kernel; elsewhere it is two ops.
        const g =
          activation !== "relu" || reluGradDownstream
            ? dy
            : reluGradKernel
              ? (tf.engine().runKernel("CnnpReluGrad", { dy, y: ys }, {}) as Tensor)
              : tf.mul(dy, tf.step(ys));
        const dFilter = tf.engine().runKernel("Conv2DBackpropFilter", { x: xs, dy: g }, {
          ...attrs,
          filterShape: fs.shape,
        } as never) as Tensor;
        const dBias = tf.sum(g, [0, 1, 2]);
        const dx = inputNeedsGradient
          ? (tf.engine().runKernel("Conv2DBackpropInput", { dy: g, filter: fs }, {
              ...attrs,
              inputShape: xs.shape,
            } as never) as Tensor)
          : tf.zerosLike(xs);
        return [dx, dFilter, dBias];
      },
    };
  });
  return op(x, filter, bias) as Tensor4D;
}

/**
 * Max pooling of a relu's output whose gradient applies the relu's too, in one pass (a back end's
 * CnnpReluMaxPoolGrad kernel): the conv before it then skips its own relu gradient.
 */
export function reluMaxPool(
  tf: Tf,
  x: Tensor4D,
  pool: [number, number],
  strides: [number, number],
  pad: Padding,
): Tensor4D {
  const attrs = { filterSize: pool, strides, pad, dimRoundingMode: undefined };
  const op = tf.customGrad((...args: unknown[]) => {
    const [xi, save] = args as [Tensor4D, (ts: Tensor[]) => void];
    const y = tf.engine().runKernel("MaxPool", { x: xi }, attrs as never) as Tensor4D;
    save([xi]);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) =>
        tf
          .engine()
          .runKernel("CnnpReluMaxPoolGrad", { dy, input: saved[0] as Tensor }, attrs as never) as Tensor,
    };
  });
  return op(x) as Tensor4D;
}
