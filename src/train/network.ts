import { kindOf } from "../layers/index.js";
import type { ForwardContext, WeightSpec } from "../layers/layer.js";
import { shapes } from "../layers/summary.js";
import type { ModelSpec } from "../model/index.js";
import { Rng, streams } from "./rng.js";
import { type Tensor, type Tensor2D, type Tensor4D, tf, type Variable } from "./tf.js";

/** A planned model as TensorFlow.js variables and a forward pass, built the way Keras builds it. */
export interface Network {
  spec: ModelSpec;
  /** What the optimizer trains: kernels and biases, normalisation's gamma and beta. */
  variables: Variable[];
  /**
   * Every weight, moving statistics included (what is saved), in TensorFlow.js'
   * order: the trainable ones in layer order, then the moving means and variances.
   */
  weights: Variable[];
  /** After an optimizer step: moves the moving statistics towards the batch's (Keras' update). */
  afterStep(): void;
  /** Logits when the last layer is softmax (the loss applies it), else the last layer's output. */
  forward(x: Tensor4D, training: boolean): Tensor2D;
  /** Whether `forward` returns logits of a softmax output. */
  logits: boolean;
  /** The stream dropout masks are drawn from, one draw per unit of each dropout layer per step. */
  dropout: Rng;
  dispose(): void;
}

/** Glorot (Xavier) uniform, Keras' default kernel initialiser: U(-l, l), l = sqrt(6 / (in + out)). */
function glorotUniform(size: number, fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rng.next() * 2 - 1) * limit;
  return out;
}

let networks = 0;

/** A layer's weights as variables; initial values from `rng` (tidy disposes them, variables survive it). */
function makeWeights(specs: WeightSpec[], layer: number, rng: Rng): Variable[] {
  // Variable names are global in TensorFlow.js: each network gets its own prefix.
  const prefix = `net${networks}_l${layer}`;
  // A block's layers may hold weights of one name (two kernels): the later ones get their place.
  const taken = new Set<string>();
  return specs.map((w, k) => {
    const name = taken.has(w.name) ? `${w.name}_${k}` : w.name;
    taken.add(name);
    const size = w.shape.reduce((a, b) => a * b, 1);
    const values =
      "glorot" in w.init
        ? glorotUniform(size, w.init.glorot[0], w.init.glorot[1], rng)
        : new Float32Array(size).fill(w.init.constant);
    return tf.tidy(() => tf.variable(tf.tensor(values, w.shape), w.trainable, `${prefix}_${name}`));
  });
}

/** Whether the active back end has a kernel of this name. */
const hasKernel = (name: string) => tf.getKernel(name, tf.getBackend()) !== undefined;

/**
 * Builds a network: kernels Glorot-uniform, biases zero, all drawn from `seed`'s init stream, so
 * the same seed gives the same starting weights on every back end.
 */
export function buildNetwork(spec: ModelSpec, seed: number): Network {
  networks++;
  const rng = new Rng(seed, streams.init);
  const dropRng = new Rng(seed, streams.dropout);
  const shaped = shapes(spec);
  if ("code" in shaped) throw new Error(`internal: ${shaped.message}`);
  const specs = spec.layers.map((l, i) => kindOf(l).weights?.(l as never, shaped.inputs[i] ?? []) ?? []);
  const layerWeights = specs.map((s, i) => makeWeights(s, i, rng));
  const last = spec.layers[spec.layers.length - 1];
  const logits = last?.type === "dense" && last.activation === "softmax";

  // Updates of moving statistics from the last training forward pass, for after the step.
  let pending: (() => void)[] = [];
  const forward = (x: Tensor4D, training: boolean): Tensor2D => {
    let t: Tensor = x;
    let skip = false;
    spec.layers.forEach((layer, i) => {
      if (skip) {
        skip = false;
        return;
      }
      const ctx: ForwardContext = {
        tf,
        training,
        weights: layerWeights[i] ?? [],
        first: t === x,
        logits: logits && i === spec.layers.length - 1,
        next: spec.layers[i + 1],
        hasKernel,
        random: () => dropRng.next(),
        afterStep: (update) => pending.push(update),
        skipNext: () => {
          skip = true;
        },
      };
      t = kindOf(layer).forward(layer as never, t, ctx);
    });
    return t as Tensor2D;
  };

  const trainable = (i: number) => (layerWeights[i] ?? []).filter((_, k) => specs[i]?.[k]?.trainable);
  const variables = layerWeights.flatMap((_, i) => trainable(i));
  // TensorFlow.js' order of a model's weights: the trainable ones, then the others.
  const all = [
    ...variables,
    ...layerWeights.flatMap((ws, i) => ws.filter((_, k) => !specs[i]?.[k]?.trainable)),
  ];
  const afterStep = () => {
    for (const update of pending) update();
    pending = [];
  };
  return {
    spec,
    variables,
    weights: all,
    afterStep,
    forward,
    logits,
    dropout: dropRng,
    dispose: () => {
      afterStep();
      for (const v of all) v.dispose();
    },
  };
}
