import type { Dataset } from "../../src/data/dataset.js";
import type { LayersArtifacts } from "../../src/train/export.js";
import { tf } from "../../src/train/tf.js";

/** A saved model loaded into tfjs-layers, as a user would load it: its topology and its weights. */
export async function loadSaved(art: LayersArtifacts) {
  const json = JSON.parse(art.modelJson);
  const bin = Buffer.from(art.weights, "base64");
  return tf.loadLayersModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }),
  });
}

/** The test accuracy of a saved model on the first `n` test images of 28x28 greyscale data. */
export async function savedAccuracy(art: LayersArtifacts, data: Dataset, n: number): Promise<number> {
  const model = await loadSaved(art);
  const x = tf.tensor4d(
    Float32Array.from(data.testImages.subarray(0, n * 784), (v) => v / 255),
    [n, 28, 28, 1],
  );
  const predicted = (await tf.argMax(model.predict(x) as never, 1).data()) as Int32Array;
  let correct = 0;
  predicted.forEach((p, i) => {
    if (p === data.testLabels[i]) correct++;
  });
  model.dispose();
  x.dispose();
  return correct / n;
}
