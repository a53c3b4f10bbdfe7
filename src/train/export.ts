import { kindOf } from "../layers/index.js";
import type { ModelSpec } from "../model/index.js";
import { functionalModel } from "./export-graph.js";
import { type io, type LayersModel, tf } from "./tf.js";

/**
 * A trained network in TensorFlow.js' layers format: `model.json` (the Keras topology and the
 * weights manifest) and the one weights file it names. `tf.loadLayersModel` loads it, and so does
 * Keras through tensorflowjs_converter.
 */
export interface LayersArtifacts {
  /** The text of model.json. */
  modelJson: string;
  /** The weights, float32 little-endian, in manifest order (base64, to travel as JSON). */
  weights: string;
}

/** The file model.json names for the weights. */
export const weightsFile = "weights.bin";

/**
 * Builds the network as a Keras Sequential model of tfjs-layers, sets its weights to the trained
 * ones (in the order of `model.weights`, as the network keeps them: kernels, biases and
 * normalisation's gamma and beta in layer order, then the moving means and variances) and
 * serialises it. The
 * output layer keeps its activation: the saved model gives probabilities, not logits.
 */
export async function layersArtifacts(
  spec: ModelSpec,
  weights: Float32Array[],
  version: string,
): Promise<LayersArtifacts> {
  // A model with residual blocks is a graph: Keras' functional form, with Add layers.
  if (spec.layers.some((l) => l.type === "residual" || l.type === "block"))
    return serialise(functionalModel(spec, weights), version);
  const model = tf.sequential({ name: "cnnp" });
  let flat = false;
  // augment does nothing at inference: its kind has no Keras layer, and the saved model starts after it.
  let first = true;
  for (const l of spec.layers) {
    const kind = kindOf(l);
    // The network flattens a feature map before a dense layer that follows it directly.
    if (kind.input === "flat" && !flat && !first) model.add(tf.layers.flatten());
    for (const { layer, config } of kind.keras(l as never)) {
      const input = first
        ? {
            inputShape: kind.input === "flat" && !flat ? [spec.input.reduce((a, b) => a * b, 1)] : spec.input,
          }
        : {};
      const make = tf.layers[layer as keyof typeof tf.layers] as unknown as (
        c: object,
      ) => Parameters<typeof model.add>[0];
      model.add(make({ ...input, ...config }));
      first = false;
    }
    if (kind.input === "flat" || kind.flattens) flat = true;
  }
  try {
    const expected = model.weights.map((w) => w.shape);
    if (expected.length !== weights.length)
      throw new Error(
        `internal: the layers model has ${expected.length} weights, the network ${weights.length}`,
      );
    const values = weights.map((w, i) => tf.tensor(w, expected[i] as number[]));
    model.setWeights(values);
    tf.dispose(values);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return serialise(model, version);
}

/** Saves a built model with its weights set in TensorFlow.js' layers format, and disposes it. */
async function serialise(model: LayersModel, version: string): Promise<LayersArtifacts> {
  try {
    let saved: io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
    );
    if (!saved?.weightData || !saved.weightSpecs) throw new Error("internal: tfjs-layers saved no weights");
    const data =
      saved.weightData instanceof ArrayBuffer
        ? saved.weightData
        : tf.io.concatenateArrayBuffers(saved.weightData);
    const json = {
      format: "layers-model",
      generatedBy: `cnnp ${version}`,
      convertedBy: null,
      modelTopology: saved.modelTopology,
      weightsManifest: [{ paths: [weightsFile], weights: saved.weightSpecs }],
    };
    return { modelJson: JSON.stringify(json), weights: Buffer.from(data).toString("base64") };
  } finally {
    model.dispose();
  }
}
