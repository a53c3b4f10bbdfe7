/** What a layer is, as every stage sees it: its kind and its settings, in Keras' terms. */
export const activations = [
  "relu",
  "relu6",
  "elu",
  "selu",
  "sigmoid",
  "tanh",
  "softmax",
  "softplus",
  "softsign",
  "swish",
  "linear",
] as const;
export type Activation = (typeof activations)[number];
export type Padding = "valid" | "same";

/** One layer of a concrete model, in Keras' terms. */
export type LayerSpec =
  | {
      type: "conv2d";
      filters: number;
      kernel: [number, number];
      strides: [number, number];
      padding: Padding;
      activation: Activation;
    }
  | { type: "maxpool2d"; pool: [number, number]; strides: [number, number]; padding: Padding }
  | { type: "avgpool2d"; pool: [number, number]; strides: [number, number]; padding: Padding }
  /** Global average pooling: one value per channel. */
  | { type: "globalpool" }
  /** Keras' BatchNormalization over the last axis: gamma, beta, moving mean and variance. */
  | { type: "batchnorm"; momentum: number; epsilon: number }
  /** Random horizontal flips and shifts of up to `shift` pixels of the input, in training only. */
  | { type: "augment"; flip: boolean; shift: number }
  | { type: "flatten" }
  | { type: "dense"; units: number; activation: Activation }
  | { type: "dropout"; rate: number };
