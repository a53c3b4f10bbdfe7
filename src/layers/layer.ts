import type { z } from "zod";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { LayerRef } from "../dsl/ast.js";

/** TensorFlow.js, as the training engine hands it to a layer (layers never load it themselves). */
export type Tf = typeof import("@tensorflow/tfjs");
export type Tensor = import("@tensorflow/tfjs").Tensor;
export type Variable = import("@tensorflow/tfjs").Variable;

/** A layer's output for one image: [height, width, channels], or [values] once flat. */
export type Shape = number[];

/** One row of a Keras-style model summary. */
export interface SummaryRow {
  /** Keras' class name: Conv2D, MaxPooling2D, Flatten, Dense, Dropout. */
  type: string;
  /** Output shape without the batch axis. */
  outputShape: number[];
  params: number;
  /** Of `params`, those the optimizer trains (moving statistics are not). */
  trainable: number;
  /** How deep inside blocks the row is: absent for the model's own layers (a block's are 1). */
  depth?: number;
}

/** Why a layer cannot follow its input. */
export interface ShapeProblem {
  code: "E111" | "E112" | "E113" | "E131";
  message: string;
}

/** One array of weights a layer holds, in Keras' order, and how it starts. */
export interface WeightSpec {
  /** Keras' name: kernel, bias, gamma, beta, moving_mean, ... */
  name: string;
  shape: number[];
  /** Glorot (Xavier) uniform with these fans, Keras' default kernel initialiser; or a constant. */
  init: { glorot: [fanIn: number, fanOut: number] } | { constant: number };
  /** Trained by the optimizer (moving statistics are not: they come after every trained weight). */
  trainable: boolean;
}

/** What a layer's forward pass is given besides its input. */
export interface ForwardContext {
  tf: Tf;
  training: boolean;
  /** The layer's weights, in the order of its `weights`. */
  weights: Variable[];
  /** Whether the input is the data (no gradient is needed below this layer). */
  first: boolean;
  /** The output layer of a softmax network returns logits: the loss applies the softmax. */
  logits: boolean;
  /** The next layer's spec, for fusions (a conv's relu with the max pool after it). */
  next: { type: string } | undefined;
  /** Whether the active back end has a kernel of this name (a fused gradient, say). */
  hasKernel(name: string): boolean;
  /** Uniform draws in [0, 1) from the network's dropout stream. */
  random(): number;
  /** Batch statistics to fold into moving ones after the step. */
  afterStep(update: () => void): void;
  /** Set by a layer that applied the next one too (conv with its max pool): the next is skipped. */
  skipNext(): void;
}

/**
 * What the native whole step needs of a layer: its kind (a name the addon's registry knows,
 * native/layers/) and its settings by name. Shapes are per image; the addon sets the batch.
 */
export interface NativeLayer {
  kind: string;
  /** Values per image in and out. */
  in: number;
  out: number;
  [setting: string]: number | string | boolean;
}

/** The result of reading a layer word: a draft of its spec, or where and why it is wrong. */
export type Parsed<S> = { ok: true; layer: S } | { ok: false; diagnostic: Diagnostic };

/**
 * One kind of layer, in one place: how pipelines write it, its output shape and parameters, its
 * weights, its Keras layer, its TensorFlow.js forward pass and what the native step needs. The
 * registry (index.ts) is what the parser's hints, the checker, the network builder, the exporter
 * and the native bridge read.
 */
export interface LayerKind<S extends { type: string }, D = S> {
  /** The spec's tag, as results and payloads store it (never change it: job ids hash it). */
  type: S["type"];
  /** How pipelines write it (`conv<N>[x<K>]`), for the list of layers in hints and the README. */
  usage: string;
  /** The words it starts with, for "did you mean" on a misspelt layer. */
  words: readonly string[];
  /** What a stored spec of it may hold (a queue worker checks payloads with it). */
  schema: z.ZodType<S>;
  /** Reads a layer word; undefined when the word is not this kind's. */
  parse(ref: LayerRef): Parsed<D> | undefined;
  /** The spec a draft becomes in its model (defaults that depend on the place, e.g. dense's activation). */
  place?(draft: D, ctx: { lastDense: boolean; maps: number | undefined; dropout: number | undefined }): S;
  /** `maps N` sets its feature maps (its `place` reads them). */
  maps?: boolean;
  /** A mask's digit covers it (conv and pool layers before the first flat one), by this word. */
  maskWord?: string;
  /** It needs a flat input (a flatten is put before it), or it makes one. */
  input?: "flat";
  flattens?: boolean;
  /** Output shape and Keras' summary row, or why it cannot follow `input`. */
  shape(
    spec: S,
    input: Shape,
    index: number,
  ): { output: Shape; row: Omit<SummaryRow, "outputShape">; inner?: SummaryRow[] } | ShapeProblem;
  /** Its weights, in Keras' order (none for most layers). */
  weights?(spec: S, input: Shape): WeightSpec[];
  /** The TensorFlow.js forward pass. */
  forward(spec: S, x: Tensor, ctx: ForwardContext): Tensor;
  /** The Keras layer(s) of the saved model: class name and config (tfjs-layers' constructor options). */
  keras(spec: S): { layer: string; config: Record<string, unknown> }[];
  /**
   * A layer made of others (a block, a residual) in a whole step: its layers, run in the step's
   * sequence between the step's own layers that go before and after them (a residual's fork and
   * join), or why the step does not train it.
   */
  steps?(
    spec: S,
    input: Shape,
    output: Shape,
  ): { layers: { type: string }[]; before: NativeLayer[]; after: NativeLayer[] } | string;
  /** What the native step needs, or why it does not train this layer. */
  native?(
    spec: S,
    input: Shape,
    output: Shape,
    ctx: { prev: { type: string } | undefined; next: { type: string } | undefined; last: boolean },
  ): NativeLayer | string;
}

export const isShapeProblem = (s: object): s is ShapeProblem => "code" in s && "message" in s;

/** Values per image of a shape. */
export const values = (s: Shape): number => s.reduce((a, b) => a * b, 1);
