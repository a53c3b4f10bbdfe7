import { kindOf, type LayerSpec, type WeightSpec } from "../layers/index.js";
import { shortcutOf } from "../layers/residual.js";
import { shapes } from "../layers/summary.js";
import type { ModelSpec } from "../model/index.js";
import { type LayersModel, type SymbolicTensor, tf } from "./tf.js";

/**
 * A model with residual blocks as a Keras functional model of tfjs-layers: each block's layers,
 * its projection shortcut (a 1x1 Conv2D from the block's input) where the shapes differ, and an
 * Add of the two; the trained weights set layer by layer.
 */

type Layer = Pick<ReturnType<typeof tf.layers.add>, "apply" | "weights" | "setWeights">;

/** The Keras layers of one spec, made from its kind's description. */
function kerasLayers(l: LayerSpec): Layer[] {
  return kindOf(l)
    .keras(l as never)
    .map(({ layer, config }) => {
      const make = tf.layers[layer as keyof typeof tf.layers] as unknown as (c: object) => Layer;
      return make(config);
    });
}

/**
 * Each layer's trained weights, from the network's order (every layer's trainable weights in
 * layer order, then every layer's others) back to its own, in its kind's (Keras') order.
 */
function weightsByLayer(specs: WeightSpec[][], weights: Float32Array[]): Float32Array[][] {
  const trainable = specs.reduce((n, ws) => n + ws.filter((w) => w.trainable).length, 0);
  let t = 0;
  let o = trainable;
  return specs.map((ws) =>
    ws.map((w) => {
      const v = weights[w.trainable ? t++ : o++];
      if (!v) throw new Error("internal: fewer trained weights than the model has");
      return v;
    }),
  );
}

/**
 * Applies one layer of the model to `x` as Keras layers, noting each in `mine` in the order its
 * weights come: a block's layers in turn, a residual's layers then its projection and an Add.
 */
function applied(l: LayerSpec, x: SymbolicTensor, mine: Layer[]): SymbolicTensor {
  if (l.type === "block") return (l.layers as LayerSpec[]).reduce((t, inner) => applied(inner, t, mine), x);
  if (l.type !== "residual") {
    let t = x;
    for (const layer of kerasLayers(l)) {
      t = layer.apply(t) as SymbolicTensor;
      mine.push(layer);
    }
    return t;
  }
  const t = (l.layers as LayerSpec[]).reduce((y, inner) => applied(inner, y, mine), x);
  const cut = shortcutOf(x.shape.slice(1) as number[], t.shape.slice(1) as number[]);
  let shortcut = x;
  if (cut?.project) {
    const projection = tf.layers.conv2d({
      filters: t.shape[3] as number,
      kernelSize: 1,
      strides: cut.stride,
      padding: "valid",
    });
    shortcut = projection.apply(x) as SymbolicTensor;
    mine.push(projection);
  }
  return tf.layers.add().apply([t, shortcut]) as SymbolicTensor;
}

/** Builds the functional model and sets its weights; the caller saves and disposes it. */
export function functionalModel(spec: ModelSpec, weights: Float32Array[]): LayersModel {
  const shaped = shapes(spec);
  if ("code" in shaped) throw new Error(`internal: ${shaped.message}`);
  const specs = spec.layers.map((l, i) => kindOf(l).weights?.(l as never, shaped.inputs[i] ?? []) ?? []);
  const values = weightsByLayer(specs, weights);
  // The Keras layers made for each of the model's layers, in the order their weights come.
  const made: Layer[][] = [];
  // augment does nothing at inference: the saved model starts after it.
  const start = spec.layers[0]?.type === "augment" ? 1 : 0;
  const input = tf.input({ shape: shaped.inputs[start] ?? spec.input });
  let x = input as SymbolicTensor;
  spec.layers.forEach((l, i) => {
    const mine: Layer[] = [];
    made.push(mine);
    if (i >= start) x = applied(l, x, mine);
  });
  const model = tf.model({ inputs: input, outputs: x, name: "cnnp" });
  try {
    made.forEach((layers, i) => {
      const mine = values[i] ?? [];
      let at = 0;
      for (const layer of layers) {
        const n = layer.weights.length;
        const ts = mine.slice(at, at + n).map((w, k) => tf.tensor(w, layer.weights[k]?.shape as number[]));
        if (ts.length !== n) throw new Error(`internal: layer ${i + 1} has ${n} weights, the network fewer`);
        layer.setWeights(ts);
        tf.dispose(ts);
        at += n;
      }
      if (at !== mine.length)
        throw new Error(`internal: layer ${i + 1} holds ${mine.length} weights, its Keras layers ${at}`);
    });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
