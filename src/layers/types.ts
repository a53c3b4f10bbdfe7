/** The words every layer kind shares: activations and paddings, in Keras' terms. */
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
