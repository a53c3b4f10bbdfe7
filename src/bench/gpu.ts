import { loadFashionMnist } from "../data/idx-sets.js";
import type { Run } from "../plan/types.js";
import { BackendUnavailable, selectBackend } from "../train/backends/index.js";
import { fitRun } from "../train/fit.js";
import { benchRun, mainModel } from "./runs.js";

/** The acceptance model of the WebGPU issue: small enough for SwiftShader. */
const smallModel = "conv8 pool conv8 pool dense32 dense10";

type Data = Awaited<ReturnType<typeof loadFashionMnist>>;

/** One epoch of `images` images: seconds, and the host's seconds per step (encoding and sending). */
async function epoch(model: string, images: number, data: Data) {
  await fitRun({ ...benchRun(model, { images: 64, test: 32 }), evaluateAt: [] }, data); // compiles the pipelines
  const o = await fitRun({ ...benchRun(model, { images, test: 32 }), evaluateAt: [] }, data);
  const e = o.epochs[0];
  if (!e) throw new Error("internal: no epoch trained");
  const steps = Math.ceil(images / 32);
  return { seconds: e.seconds, hostPerStep: (o.steps.phases?.encode ?? Number.NaN) / steps };
}

/** The largest differences between two runs' curves (losses and accuracies, training and test) and weights. */
function differences(a: Awaited<ReturnType<typeof fitRun>>, b: Awaited<ReturnType<typeof fitRun>>) {
  let curve = 0;
  for (const [i, e] of a.epochs.entries()) {
    const o = b.epochs[i];
    if (!o?.test || !e.test) throw new Error("internal: an epoch without its test evaluation");
    for (const [x, y] of [
      [e.loss, o.loss],
      [e.accuracy, o.accuracy],
      [e.test.loss, o.test.loss],
      [e.test.accuracy, o.test.accuracy],
    ] as const)
      curve = Math.max(curve, Math.abs(x - y));
  }
  let weights = 0;
  const wa = a.weights.get(a.epochs.length) ?? [];
  const wb = b.weights.get(b.epochs.length) ?? [];
  for (const [i, w] of wa.entries())
    for (const [k, v] of w.entries())
      weights = Math.max(weights, Math.abs(v - ((wb[i] as Float32Array)[k] as number)));
  return { curve, weights };
}

/**
 * `npm run bench -- gpu`: the GPU check. The adapter; seconds per epoch of the main model on
 * 60,000 images and the host's time per step (on a software adapter, the small model on 2,048
 * images and the main model on 256, for the record); and the largest difference from native over
 * 2 epochs of the main model on 2,048 images (where native does not load, from cpu on 512).
 */
export async function benchGpu(): Promise<void> {
  console.log("\ngpu: the WebGPU back end");
  let detail: string;
  try {
    detail = (await selectBackend("webgpu")).info.detail;
  } catch (e) {
    if (!(e instanceof BackendUnavailable)) throw e;
    console.log(`  skipped: ${e.message}`);
    return;
  }
  const software = detail.includes("(a software adapter)");
  console.log(`  adapter: ${detail.split(";")[0]}`);
  const data = await loadFashionMnist({ download: false });
  // On a GPU, an epoch of every training image there is (60,000; fewer where the GPU check packed fewer).
  const timed: [string, string, number][] = software
    ? [
        ["small", smallModel, 2048],
        ["main", mainModel, 256],
      ]
    : [["main", mainModel, Math.min(60000, data.trainCount)]];
  for (const [label, model, images] of timed) {
    const t = await epoch(model, images, data);
    console.log(
      `  ${label} model (${model}): ${images.toLocaleString("en")} images in ${t.seconds.toFixed(2)} s, ${((t.seconds * 60000) / images).toFixed(1)} s per epoch of 60,000 (${(images / t.seconds).toFixed(0)} samples/s); the host's time per step ${(t.hostPerStep * 1000).toFixed(2)} ms`,
    );
  }
  // The reference: native where it loads; else the cpu back end, slow, on fewer images.
  let reference = "native";
  try {
    await selectBackend("native");
  } catch (e) {
    if (!(e instanceof BackendUnavailable)) throw e;
    reference = "cpu";
  }
  const images = software ? 256 : reference === "native" ? 2048 : 512;
  const settings = "learning_rate 0.05\nmomentum 0.9\nevaluate_every 1";
  const run: Run = benchRun(mainModel, { images, epochs: 2, test: 1000, settings });
  await selectBackend("webgpu");
  const gpu = await fitRun({ ...run, saveAt: [2] }, data);
  await selectBackend(reference === "native" ? "native" : "cpu");
  const ref = await fitRun({ ...run, saveAt: [2] }, data);
  const d = differences(gpu, ref);
  const last = (o: typeof gpu) => o.epochs[1]?.test?.accuracy.toFixed(4);
  console.log(
    `  against ${reference}, main model, ${images.toLocaleString("en")} images, 2 epochs, same seed: curves within ${d.curve.toExponential(2)}, weights within ${d.weights.toExponential(2)}; test accuracy ${last(gpu)} (webgpu) and ${last(ref)} (${reference})`,
  );
}
