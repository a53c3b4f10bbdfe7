import type { Tensor, Tf } from "./layer.js";
import type { Activation } from "./types.js";

/** Keras' activation functions through TensorFlow.js. */
export function activate(tf: Tf, x: Tensor, a: Activation): Tensor {
  switch (a) {
    case "linear":
      return x;
    case "relu":
      return tf.relu(x);
    case "relu6":
      return tf.relu6(x);
    case "elu":
      return tf.elu(x);
    case "selu":
      return tf.selu(x);
    case "sigmoid":
      return tf.sigmoid(x);
    case "tanh":
      return tf.tanh(x);
    case "softmax":
      return tf.softmax(x);
    case "softplus":
      return tf.softplus(x);
    case "softsign":
      return tf.div(x, tf.add(tf.abs(x), 1));
    case "swish":
      return tf.mul(x, tf.sigmoid(x));
  }
}

/** Activations the fused kernels apply. */
export const fusable = (a: Activation): a is "relu" | "linear" => a === "relu" || a === "linear";
