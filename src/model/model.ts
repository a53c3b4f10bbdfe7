import type { LayerSpec } from "../layers/index.js";

/** A concrete model: what the training engine builds. */
export interface ModelSpec {
  /** How the pipeline names it, e.g. `main mask 1-0-1-1 maps 16`. */
  name: string;
  /** Height, width, channels of one input image. */
  input: [number, number, number];
  /** Number of classes of the data set (units of the output layer). */
  classes: number;
  layers: LayerSpec[];
}
