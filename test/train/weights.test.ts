import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dataset, loadFashionMnist } from "../../src/data/idx-sets.js";
import type { OkResult } from "../../src/store/schema.js";
import { selectBackend } from "../../src/train/backends/index.js";
import { tf } from "../../src/train/tf.js";

/**
 * Jobs trained by `cnnp run` keep their weights in TensorFlow.js' layers format; loaded back with
 * `tf.loadLayersModel` on another back end, they give the job's test accuracy and loss.
 */
const dir = join("test", ".tmp", `weights-${process.pid}`);
const results = join(dir, "results");
let data: Dataset;

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  data = await loadFashionMnist();
  await selectBackend("cpu");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cnnp(...args: string[]) {
  const r = spawnSync(process.execPath, ["dist/cli/main.js", ...args], {
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, err: r.stderr };
}

function resultsOf(folder: string): OkResult[] {
  const jobs = join(folder, "jobs");
  return readdirSync(jobs)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(jobs, f), "utf8")) as OkResult);
}

/** Loads a saved model from its folder, as a browser or Node user would from files. */
function load(folder: string) {
  const json = JSON.parse(readFileSync(join(folder, "model.json"), "utf8"));
  const manifest = json.weightsManifest[0];
  const bin = readFileSync(join(folder, manifest.paths[0]));
  return tf.loadLayersModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: manifest.weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      format: json.format,
      generatedBy: json.generatedBy,
    }),
  });
}

/** The first `n` test images, as the training engine reads them: pixels / 255. */
function testSet(n: number) {
  const pixels = data.height * data.width;
  const x = new Float32Array(n * pixels);
  for (let i = 0; i < n * pixels; i++) x[i] = (data.testImages[i] as number) / 255;
  return { x: tf.tensor4d(x, [n, data.height, data.width, 1]), y: [...data.testLabels.slice(0, n)] };
}

describe("saved weights", { timeout: 180_000 }, () => {
  it("load with tf.loadLayersModel and reproduce each job's test accuracy and loss", async () => {
    const file = join(dir, "w.cnnp");
    // Two layouts: conv-pool-conv with dropout, and dense straight after the features (no flatten).
    writeFileSync(
      file,
      `data fashion_mnist train 512 test 300
learning_rate 0.05
experiment "A" {
  model conv8 pool conv8 dropout0.25 pool flatten dense16 dense10
  sweep epochs [1, 2]
}
experiment "B" {
  model conv4 dense10(softmax)
}
`,
    );
    const r = cnnp("run", file, "--results", results, "--workers", "1");
    expect(r.code, r.err).toBe(0);
    const jobs = resultsOf(results);
    expect(jobs).toHaveLength(3);
    const { x, y } = testSet(300);
    for (const job of jobs) {
      expect(job.weights).toBe(`weights/${job.job}`);
      const model = await load(join(results, job.weights as string));
      const probs = model.predict(x) as ReturnType<typeof tf.softmax>;
      const p = (await probs.array()) as number[][];
      const predicted = p.map((row) => row.indexOf(Math.max(...row)));
      const accuracy = predicted.filter((c, i) => c === y[i]).length / y.length;
      const loss = -p.reduce((a, row, i) => a + Math.log(row[y[i] as number] as number), 0) / y.length;
      expect(accuracy).toBe(job.test.accuracy);
      expect(loss).toBeCloseTo(job.test.loss, 4);
      tf.dispose([probs]);
      model.dispose();
    }
    // The two epoch counts of A share one run: each job keeps the weights of its own epoch.
    const a = jobs.filter((j) => j.experiment === 1);
    expect(a.map((j) => j.test.loss)[0]).not.toBe(a.map((j) => j.test.loss)[1]);
    x.dispose();
  });

  it("are not kept when the pipeline says save_weights off", () => {
    const file = join(dir, "off.cnnp");
    writeFileSync(
      file,
      "data fashion_mnist train 128 test 64\nsave_weights off\nmodel conv4 pool flatten dense10\n",
    );
    const folder = join(dir, "off");
    expect(cnnp("run", file, "--results", folder, "--workers", "1").code).toBe(0);
    const [job] = resultsOf(folder);
    expect(job?.weights).toBeUndefined();
    expect(existsSync(join(folder, "weights"))).toBe(false);
  });

  it("are kept for the first repeat only when the pipeline says save_weights first", () => {
    const file = join(dir, "first.cnnp");
    writeFileSync(
      file,
      "data fashion_mnist train 128 test 64\nsave_weights first\nrepeat 3\nmodel conv4 pool flatten dense10\n",
    );
    const folder = join(dir, "first");
    expect(cnnp("run", file, "--results", folder, "--workers", "1").code).toBe(0);
    const jobs = resultsOf(folder);
    expect(jobs).toHaveLength(3);
    const kept = jobs.filter((j) => j.weights !== undefined);
    expect(kept.map((j) => j.repeat)).toEqual([0]);
    expect(readdirSync(join(folder, "weights"))).toEqual([kept[0]?.job]);
  });
});
