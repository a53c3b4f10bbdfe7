import type { NativeLayer } from "../../../../layers/index.js";
import type { Window } from "../image-shaders.js";
import type { Binding, Dispatch, Kernels } from "../kernels.js";

/** What a layer's dispatches are bound to, for a batch of n. */
export interface LayerContext {
  k: Kernels;
  /** The layer as the whole steps describe it (src/train/backends/step-layers.ts). */
  l: NativeLayer;
  n: number;
  train: boolean;
  /** Its input and output, and their gradients (gx null where no layer before it has variables). */
  x: GPUBuffer;
  y: GPUBuffer;
  gx: GPUBuffer | null;
  gy: GPUBuffer;
  /** Its variables in the packed weights, and their gradients, by its own numbering. */
  w(j: number): Binding;
  g(j: number): Binding;
  /** Its own buffers, by the names `buffers` gave. */
  own(name: string): GPUBuffer;
  /**
   * The layer it pairs with, where it has one: a residual's fork and its join (the fork's input,
   * whether it needs a gradient, and the pair's own buffers).
   */
  partner: { x: GPUBuffer; inputGrad: boolean; own(name: string): GPUBuffer } | null;
  /** [first item of the step, step in the epoch, steps of the run], the run's seed, and the layer's place. */
  cursor: GPUBuffer;
  seed: number;
  index: number;
}

/**
 * One kind of layer in the WebGPU step, as `native/layers/*.cc` is in the addon's: its
 * variables, the buffers it keeps per batch, and the dispatches of its forward and backward pass.
 */
export interface GpuLayer {
  /**
   * Its variables: trained ones, then others (moving statistics, which no gradient reaches); a
   * function where they depend on the layer (a residual's join has weights with a projection only).
   */
  variables: [number, number] | ((l: NativeLayer) => [number, number]);
  /** Bytes of each buffer of its own, for a batch of up to `cap`. */
  buffers?(l: NativeLayer, cap: number): Record<string, number>;
  /** Its output shares its input's buffers (a flatten). */
  passThrough?: boolean;
  forward(c: LayerContext): Dispatch[];
  /** Its variables' gradients, and its input's where c.gx is not null. */
  backward(c: LayerContext): Dispatch[];
}

/** A layer's window over a batch of n, from its description. */
export const windowOf = (l: NativeLayer, n: number): Window => ({
  n,
  h: l.h as number,
  w: l.w as number,
  c: l.c as number,
  oh: l.oh as number,
  ow: l.ow as number,
  co: (l.co as number | undefined) ?? (l.c as number),
  kh: l.kh as number,
  kw: l.kw as number,
  sh: l.sh as number,
  sw: l.sw as number,
  pt: l.pt as number,
  pl: l.pl as number,
  relu: l.relu === true,
});
