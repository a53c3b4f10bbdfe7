/**
 * The one place TensorFlow.js is imported. `@tensorflow/tfjs` brings the core, the gradients and
 * the `cpu` back end; its banner suggesting tfjs-node is silenced, since cnnp picks back ends itself.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const warn = console.warn;
console.warn = () => {};
let mod: typeof import("@tensorflow/tfjs");
try {
  mod = require("@tensorflow/tfjs") as typeof import("@tensorflow/tfjs");
} finally {
  console.warn = warn;
}
export const tf = mod;
export type {
  io,
  LayersModel,
  Rank,
  Scalar,
  SymbolicTensor,
  Tensor,
  Tensor2D,
  Tensor4D,
  TensorInfo,
  Variable,
} from "@tensorflow/tfjs";
