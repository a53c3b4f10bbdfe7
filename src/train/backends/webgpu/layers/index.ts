/**
 * The WebGPU step's layer registry: one file per kind, by the kind names the layers' `native`
 * descriptions give (src/layers/), as native/layers/registry.cc is the addon's.
 */
import { activation } from "./activation.js";
import { batchnorm } from "./batchnorm.js";
import { conv } from "./conv.js";
import { dense } from "./dense.js";
import { dropout, flatten } from "./dropout.js";
import type { GpuLayer } from "./layer.js";
import { avgpool, globalpool, maxpool } from "./pool.js";
import { fork, join } from "./residual.js";
import { sepconv } from "./sepconv.js";

export const gpuLayers: Record<string, GpuLayer> = {
  conv,
  sepconv,
  dense,
  maxpool,
  avgpool,
  globalpool,
  batchnorm,
  dropout,
  flatten,
  fork,
  join,
  activation,
};
