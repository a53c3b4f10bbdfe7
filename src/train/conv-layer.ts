import type { Padding } from "../check/types.js";
import { type Tensor, type Tensor4D, tf } from "./tf.js";

/**
 * A conv layer for training: convolution, bias and relu in one fused kernel forward (XNNPACK's
 * epilogue on wasm), and a gradient that computes only what is needed: the filter and bias
 * always, the input's only when the input is not the data. tfjs' own fused op refuses to fuse
 * while gradients are recorded, and its gradient computes the input's even for the first layer.
 */
export function trainingConv(
  x: Tensor4D,
  filter: Tensor4D,
  bias: Tensor,
  strides: [number, number],
  pad: Padding,
  activation: "relu" | "linear",
  inputNeedsGradient: boolean,
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
        // The native back end has the relu gradient as one kernel; elsewhere it is two ops.
        const g =
          activation !== "relu"
            ? dy
            : tf.getBackend() === "native"
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
