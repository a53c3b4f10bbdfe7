import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { type Dataset, loadFashionMnist } from "../../src/data/idx-sets.js";
import { plan } from "../../src/plan/plan.js";
import { selectBackend } from "../../src/train/backends/index.js";
import { fitRun } from "../../src/train/fit.js";
import { type Tensor, tf } from "../../src/train/tf.js";

/**
 * A 1x1 convolution with a stride above 1 (a ResNet projection shortcut): oneDNN's 1x1 kernels got
 * its filter gradient wrong and wrote past the data gradient's buffer, so the native back end now
 * passes them over. Both of its paths must train it as the cpu back end does.
 */
describe.skipIf(Boolean(process.env.CNNP_SKIP_NATIVE))(
  "a strided 1x1 convolution on native",
  { timeout: 300_000 },
  () => {
    let data: Dataset;
    beforeAll(async () => {
      data = await loadFashionMnist({ download: false });
    });

    it("gives the cpu back end's filter and input gradients, kernel by kernel", async () => {
      const grads = async (backend: "native" | "cpu") => {
        await selectBackend(backend);
        const x = tf.tensor4d(
          Float32Array.from({ length: 2 * 28 * 28 * 4 }, (_, i) => Math.sin(i)),
          [2, 28, 28, 4],
        );
        const f = tf.tensor4d(
          Float32Array.from({ length: 4 * 8 }, (_, i) => Math.cos(i)),
          [1, 1, 4, 8],
        );
        const weighting = tf
          .range(0, 2 * 14 * 14 * 8)
          .reshape([2, 14, 14, 8])
          .div(1000);
        const g = tf.grads((a, w) =>
          tf.sum(tf.mul(tf.conv2d(a as never, w as never, 2, "valid"), weighting)),
        );
        const [dx, dw] = g([x, f]);
        return [await (dx as Tensor).data(), await (dw as Tensor).data()];
      };
      const [native, cpu] = [await grads("native"), await grads("cpu")];
      for (const k of [0, 1]) {
        const a = native[k] as Float32Array;
        const b = cpu[k] as Float32Array;
        let worst = 0;
        a.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(v - (b[i] as number)) / Math.max(1, Math.abs(b[i] as number)));
        });
        expect(worst).toBeLessThan(1e-5);
      }
    });

    it("trains conv4(same) conv8x1(stride=2) pool dense10 by the whole step to the cpu back end's weights", async () => {
      const c = compile(
        "data fashion_mnist train 256 test 300\nepochs 1\nmomentum 0.9\nmodel m = conv4(same) conv8x1(stride=2) pool dense10\n",
        "s.cnnp",
      );
      const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
      if (!run) throw new Error("no run");
      const req = { ...run, epochs: 1, evaluateAt: [1], saveAt: [1] };
      await selectBackend("native");
      const native = await fitRun(req, data);
      await selectBackend("cpu");
      const cpu = await fitRun(req, data);
      expect(native.steps.engine).toBe("native step");
      const a = native.weights.get(1) ?? [];
      const b = cpu.weights.get(1) ?? [];
      expect(a).toHaveLength(6);
      let worst = 0;
      a.forEach((w, j) => {
        w.forEach((v, k) => {
          worst = Math.max(worst, Math.abs(v - (b[j]?.[k] ?? Number.NaN)));
        });
      });
      expect(worst).toBeLessThan(1e-4);
      expect(native.epochs[0]?.test?.accuracy).toBe(cpu.epochs[0]?.test?.accuracy);
    });
  },
);
