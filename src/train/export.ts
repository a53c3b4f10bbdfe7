import type { ModelSpec } from "../model/index.js";
import { type io, tf } from "./tf.js";

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
 * batchnorm's gamma and beta in layer order, then batchnorm's moving means and variances) and
 * serialises it. The
 * output layer keeps its activation: the saved model gives probabilities, not logits.
 */
export async function layersArtifacts(
  spec: ModelSpec,
  weights: Float32Array[],
  version: string,
): Promise<LayersArtifacts> {
  const model = tf.sequential({ name: "cnnp" });
  let flat = false;
  // augment does nothing at inference: the saved model starts with the layer after it.
  const layers = spec.layers.filter((l) => l.type !== "augment");
  layers.forEach((l, i) => {
    const input = i === 0 ? { inputShape: spec.input } : {};
    switch (l.type) {
      case "avgpool2d":
        model.add(
          tf.layers.averagePooling2d({ ...input, poolSize: l.pool, strides: l.strides, padding: l.padding }),
        );
        return;
      case "globalpool":
        model.add(tf.layers.globalAveragePooling2d(input));
        flat = true;
        return;
      case "batchnorm":
        model.add(tf.layers.batchNormalization({ ...input, momentum: l.momentum, epsilon: l.epsilon }));
        return;
      case "conv2d":
        model.add(
          tf.layers.conv2d({
            ...input,
            filters: l.filters,
            kernelSize: l.kernel,
            strides: l.strides,
            padding: l.padding,
            activation: l.activation,
          }),
        );
        return;
      case "maxpool2d":
        model.add(
          tf.layers.maxPooling2d({ ...input, poolSize: l.pool, strides: l.strides, padding: l.padding }),
        );
        return;
      case "flatten":
        model.add(tf.layers.flatten(input));
        flat = true;
        return;
      case "dropout":
        model.add(tf.layers.dropout({ ...input, rate: l.rate }));
        return;
      case "dense":
        // The network flattens a feature map before a dense layer that follows it directly.
        if (!flat && i > 0) model.add(tf.layers.flatten());
        flat = true;
        model.add(
          tf.layers.dense({
            ...(i === 0 ? { inputShape: [spec.input.reduce((a, b) => a * b, 1)] } : {}),
            units: l.units,
            activation: l.activation,
          }),
        );
        return;
    }
  });
  try {
    const expected = model.weights.map((w) => w.shape);
    if (expected.length !== weights.length)
      throw new Error(
        `internal: the layers model has ${expected.length} weights, the network ${weights.length}`,
      );
    const values = weights.map((w, i) => tf.tensor(w, expected[i] as number[]));
    model.setWeights(values);
    tf.dispose(values);
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
