import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { loadFashionMnist } from "../../src/data/idx-sets.js";
import { plan } from "../../src/plan/plan.js";
import { selectBackend } from "../../src/train/backends/index.js";
import { fitRun } from "../../src/train/fit.js";
import { buildNetwork } from "../../src/train/network.js";
import { tf } from "../../src/train/tf.js";

/** The native back end over many steps and a real run: memory returned, the same learning curve. */
const mainModel = (train: number, epochs: number) => {
  const c = compile(
    `data fashion_mnist train ${train} test 1000\nepochs ${epochs}\nmodel main = conv32 pool conv32 pool dense128 dense10\nexperiment "x" {}\n`,
    "x.cnnp",
  );
  const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
  if (!run) throw new Error("no run");
  return run;
};

describe.skipIf(Boolean(process.env.CNNP_SKIP_NATIVE))("the native back end", { timeout: 300_000 }, () => {
  it("returns its memory: no tensors and no resident-memory growth over 1,000 training steps", async () => {
    const info = await selectBackend("native");
    expect(info.info.name).toBe("native");
    expect(info.info.versions.oneDNN).toMatch(/^\d+\.\d+\.\d+$/);
    const run = mainModel(64, 1);
    const net = buildNetwork(run.model, 1);
    const opt = tf.train.sgd(0.01);
    const x = tf.randomUniform([8, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], "int32"), 10);
    const step = () => {
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, net.forward(x as never, true)) as never,
        net.variables,
      );
      opt.applyGradients(grads);
      expect(Number.isNaN(value.dataSync()[0])).toBe(false);
      tf.dispose([value, ...Object.values(grads)]);
    };
    for (let i = 0; i < 100; i++) step();
    const tensors = tf.memory().numTensors;
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 900; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    // The buffer pool holds a bounded set of arrays; anything leaking per step would add up to
    // hundreds of megabytes over 900 steps.
    expect((process.memoryUsage().rss - rss) / 2 ** 20).toBeLessThan(40);
    tf.dispose([x, y]);
    opt.dispose();
    net.dispose();
  });

  it("trains under node --cpu-prof without corrupting the heap (signals while oneDNN's sgemm runs)", async () => {
    // oneDNN's sgemm moves the stack pointer into a heap buffer; a profiler's SIGPROF handled then
    // wrote its frame into the heap, and glibc aborted (7 of 12 runs before signals were held).
    const dir = mkdtempSync(join(tmpdir(), "cnnp-prof-"));
    const script = [
      `import { compile } from "${resolve("dist/compile.js")}";`,
      `import { plan } from "${resolve("dist/plan/plan.js")}";`,
      `import { loadFashionMnist } from "${resolve("dist/data/idx-sets.js")}";`,
      `import { selectBackend } from "${resolve("dist/train/backends/index.js")}";`,
      `import { fitRun } from "${resolve("dist/train/fit.js")}";`,
      "const data = await loadFashionMnist({ download: false });",
      'const c = compile("data fashion_mnist train 160 test 100\\nepochs 1\\nmodel m = conv32 pool conv32 pool dense128 dense10\\n", "x.cnnp");',
      'await selectBackend("native");',
      'process.env.CNNP_NATIVE_STEP = "off";',
      "const run = plan(c.pipeline).runs[0];",
      "await fitRun({ ...run, epochs: 1, evaluateAt: [1] }, data);",
    ].join("\n");
    try {
      for (let i = 0; i < 4; i++) {
        const r = spawnSync(
          process.execPath,
          ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--input-type=module", "-e", script],
          { encoding: "utf8", env: { ...process.env, MALLOC_CHECK_: "3" }, timeout: 120_000 },
        );
        expect([r.status, r.signal, r.stderr.slice(-300)]).toEqual([0, null, expect.any(String)]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("learns the main model on 2,000 images for 2 epochs as wasm does", async () => {
    const data = await loadFashionMnist({ download: false });
    const run = mainModel(2000, 2);
    const curve = async (backend: "wasm" | "native") => {
      await selectBackend(backend);
      const o = await fitRun({ ...run, epochs: 2, evaluateAt: [1, 2] }, data);
      return o.epochs.map((e) => [e.loss, e.accuracy, e.test?.loss ?? 0, e.test?.accuracy ?? 0]);
    };
    const w = await curve("wasm");
    const n = await curve("native");
    // Same seed, same data order: only float rounding differs, far below run-to-run noise
    // (seed-to-seed sd of test accuracy is about 0.02 at this size).
    for (const [e, row] of n.entries()) {
      for (const [k, v] of row.entries()) expect(Math.abs(v - (w[e]?.[k] as number))).toBeLessThan(0.01);
    }
  });
});
