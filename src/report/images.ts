import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import type { Dataset } from "../data/dataset.js";
import type { OkResult } from "../store/schema.js";
import { selectBackend } from "../train/backends/index.js";
import { type LayersModel, type SymbolicTensor, tf } from "../train/tf.js";
import type { ExperimentImages, Row } from "./schema.js";

/** Test images the misclassified grid is drawn from (the first of the test set), and how many it shows. */
const examined = 300;
const shown = 12;
/** The test image whose feature maps each configuration shows. */
const probe = 0;

/** An 8-bit greyscale (1 channel) or RGB (3) image as a PNG data URI. */
async function png(pixels: Uint8Array, width: number, height: number, channels: 1 | 3 = 1): Promise<string> {
  const data = await sharp(Buffer.from(pixels), { raw: { width, height, channels } }).png().toBuffer();
  return `data:image/png;base64,${data.toString("base64")}`;
}

/** Scales values to 0..255 by their own minimum and maximum. */
function grey(xs: ArrayLike<number>): Uint8Array {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < xs.length; i++) {
    lo = Math.min(lo, xs[i] as number);
    hi = Math.max(hi, xs[i] as number);
  }
  const span = hi - lo || 1;
  return Uint8Array.from({ length: xs.length }, (_, i) =>
    Math.round((((xs[i] as number) - lo) / span) * 255),
  );
}

/**
 * Tiles of h x w pixels in a grid of `cols` columns, each pixel drawn `scale` times, with a white
 * gap of `gap` pixels between tiles.
 */
function grid(tiles: Uint8Array[], h: number, w: number, cols: number, scale: number, gap = 2, c = 1) {
  const rows = Math.ceil(tiles.length / cols);
  const width = cols * w * scale + (cols - 1) * gap;
  const height = rows * h * scale + (rows - 1) * gap;
  const out = new Uint8Array(width * height * c).fill(255);
  tiles.forEach((t, k) => {
    const ox = (k % cols) * (w * scale + gap);
    const oy = Math.floor(k / cols) * (h * scale + gap);
    for (let y = 0; y < h * scale; y++)
      for (let x = 0; x < w * scale; x++)
        for (let ch = 0; ch < c; ch++)
          out[((oy + y) * width + ox + x) * c + ch] = t[
            (Math.floor(y / scale) * w + Math.floor(x / scale)) * c + ch
          ] as number;
  });
  return { pixels: out, width, height };
}

/** Loads a job's saved model (see src/train/export.ts) from the results folder. */
async function load(resultsDir: string, folder: string): Promise<LayersModel> {
  const json = JSON.parse(readFileSync(join(resultsDir, folder, "model.json"), "utf8"));
  const manifest = json.weightsManifest[0];
  const bin = readFileSync(join(resultsDir, folder, manifest.paths[0]));
  return tf.loadLayersModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: manifest.weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }),
  });
}

function testImages(data: Dataset, from: number, n: number) {
  const pixels = data.height * data.width * data.channels;
  const x = new Float32Array(n * pixels);
  for (let i = 0; i < n * pixels; i++) x[i] = (data.testImages[from * pixels + i] as number) / 255;
  return tf.tensor4d(x, [n, data.height, data.width, data.channels]);
}

const rgb = (c: number): 1 | 3 => (c === 3 ? 3 : 1);

/**
 * The first conv layer's filters (in colour when the input is: its three input channels, scaled
 * together; else the first input channel) and the probe image's maps after it.
 */
async function firstLayer(model: LayersModel, data: Dataset) {
  const conv = model.layers.find((l) => l.getClassName() === "Conv2D");
  if (!conv) return null;
  const [kernel] = conv.getWeights();
  if (!kernel) return null;
  const [kh, kw, channels, filters] = kernel.shape as [number, number, number, number];
  const k = (await kernel.data()) as Float32Array;
  // HWIO: the weight of (y, x) on input channel i for filter f.
  const shownChannels = rgb(channels);
  const tiles = Array.from({ length: filters }, (_, f) => {
    const one = new Float32Array(kh * kw * shownChannels);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < shownChannels; i++)
          one[(y * kw + x) * shownChannels + i] = k[((y * kw + x) * channels + i) * filters + f] as number;
    return grey(one);
  });
  const f = grid(tiles, kh, kw, Math.min(8, filters), 16, 2, shownChannels);
  // The probe image through the first conv layer (with its activation).
  const upTo = tf.model({ inputs: model.inputs, outputs: conv.output as SymbolicTensor });
  const x = testImages(data, probe, 1);
  const maps = upTo.predict(x) as ReturnType<typeof tf.zeros>;
  const [, mh, mw] = maps.shape as [number, number, number, number];
  const values = (await maps.data()) as Float32Array;
  const mapTiles = Array.from({ length: filters }, (_, c) => {
    const one = new Float32Array(mh * mw);
    for (let i = 0; i < mh * mw; i++) one[i] = values[i * filters + c] as number;
    return grey(one);
  });
  const m = grid(mapTiles, mh, mw, Math.min(8, filters), 2);
  tf.dispose([x, maps]);
  return {
    filters: await png(f.pixels, f.width, f.height, shownChannels),
    featureMaps: await png(m.pixels, m.width, m.height),
  };
}

/** Up to `shown` of the first `examined` test images the model gets wrong, with both labels. */
async function misclassified(model: LayersModel, data: Dataset, names: string[]) {
  const x = testImages(data, 0, Math.min(examined, data.testCount));
  const probs = model.predict(x) as ReturnType<typeof tf.zeros>;
  const predicted = (await tf.argMax(probs, 1).data()) as Int32Array;
  tf.dispose([x, probs]);
  const c = rgb(data.channels);
  const pixels = data.height * data.width * data.channels;
  const out: { image: string; truth: string; predicted: string; index: number }[] = [];
  for (let i = 0; i < predicted.length && out.length < shown; i++) {
    const truth = data.testLabels[i] as number;
    const p = predicted[i] as number;
    if (p === truth) continue;
    const img = data.testImages.slice(i * pixels, (i + 1) * pixels);
    const big = grid([img], data.height, data.width, 1, 2, 2, c);
    out.push({
      image: await png(big.pixels, big.width, big.height, c),
      truth: names[truth] ?? String(truth),
      predicted: names[p] ?? String(p),
      index: i,
    });
  }
  return out;
}

/**
 * What the models learned, as images rendered now from the saved weights: per configuration, the
 * first conv layer's filters and one test image's feature maps after it (from its first repeat
 * with weights), and the most accurate configuration's misclassified test images.
 */
export async function imagesOf(
  rows: Row[],
  oks: OkResult[][],
  names: string[],
  resultsDir: string,
  data: Dataset,
): Promise<ExperimentImages> {
  const out: ExperimentImages = { configurations: [], misclassified: null };
  // The models run on the pure-JavaScript back end (small work), selected as cnnp selects back
  // ends, which also keeps TensorFlow.js from printing its banner suggesting tfjs-node.
  await selectBackend("cpu");
  const best = [...rows]
    .filter((r) => r.metrics["test.accuracy"])
    .sort((a, b) => (b.metrics["test.accuracy"]?.mean ?? 0) - (a.metrics["test.accuracy"]?.mean ?? 0))[0];
  for (const r of rows) {
    const job = (oks[r.index] ?? []).find((j) => j.weights);
    if (!job?.weights) continue;
    let model: LayersModel;
    try {
      model = await load(resultsDir, job.weights);
    } catch {
      continue; // A model folder that is gone or damaged: the page goes without its images.
    }
    try {
      const first = await firstLayer(model, data);
      if (first) out.configurations.push({ configuration: r.index, label: r.label, ...first });
      if (r === best)
        out.misclassified = {
          label: r.label,
          examined: Math.min(examined, data.testCount),
          items: await misclassified(model, data, names),
        };
    } finally {
      model.dispose();
    }
  }
  return out;
}
