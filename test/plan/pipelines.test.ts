import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { plan } from "../../src/plan/plan.js";

const files = readdirSync("pipelines").filter((f) => f.endsWith(".cnnp"));

describe("the project's own pipelines", () => {
  it("are there", () => {
    expect(files).toEqual(expect.arrayContaining(["fashion-mnist-study.cnnp", "quick.cnnp"]));
  });

  for (const f of files) {
    it(`${f} checks clean and plans`, () => {
      const c = compile(readFileSync(`pipelines/${f}`, "utf8"), `pipelines/${f}`);
      expect(c.diagnostics).toEqual([]);
      if (!c.pipeline) throw new Error("no pipeline");
      const p = plan(c.pipeline);
      expect(p.totals.jobs).toBeGreaterThan(0);
      expect(p.totals.epochsPlanned).toBeLessThanOrEqual(p.totals.epochsNaive);
    });
  }

  it("the study expresses every experiment of studies/fashion-mnist/README.md", () => {
    const c = compile(readFileSync("pipelines/fashion-mnist-study.cnnp", "utf8"), "study.cnnp");
    if (!c.pipeline) throw new Error("no pipeline");
    const p = plan(c.pipeline);
    const titles = p.experiments.map((e) => e.title.split(" ")[0]);
    for (const n of ["1.", "2.", "3.1", "3.2", "4.1", "4.2", "4.3", "5.", "6.1", "6.2", "7."])
      expect(titles).toContain(n);
    const params = p.models.map((m) => m.totalParams);
    expect(params).toContain(113386);
    expect(params).toContain(600810);
    const masks = p.experiments.find((e) => e.title.includes("masks"));
    expect(masks?.configurations.map((c) => c.values.mask)).toEqual([
      "1-1-1-1",
      "1-1-0-0",
      "1-1-0-1",
      "1-1-1-0",
      "0-0-0-0",
      "0-1-0-1",
      "1-0-1-0",
      "0-1-1-1",
      "1-0-1-1",
    ]);
    const epochs = p.experiments.find((e) => e.title === "5. Epochs");
    expect(epochs?.epochs).toEqual({ naive: 720, planned: 300 });
  });

  it("the CIFAR-10 study plans Keras' parameter counts: 3 input channels, and batchnorm's 4 per channel, 2 trained", () => {
    const c = compile(readFileSync("pipelines/cifar10-study.cnnp", "utf8"), "pipelines/cifar10-study.cnnp");
    if (!c.pipeline) throw new Error("no pipeline");
    const models = new Map(plan(c.pipeline).models.map((m) => [m.name, m]));
    const conv1 = 3 * 3 * 3 * 32 + 32; // a 3x3 kernel over 3 channels, 32 filters, and their biases
    const conv2 = 3 * 3 * 32 * 32 + 32;
    const dense = 6 * 6 * 32 * 128 + 128 + 128 * 10 + 10;
    expect(models.get("main")?.totalParams).toBe(conv1 + conv2 + dense);
    const bn = models.get("main_bn");
    expect(bn?.totalParams).toBe(conv1 + conv2 + dense + 2 * 4 * 32);
    expect(bn?.layers.reduce((a, l) => a + l.trainable, 0)).toBe(conv1 + conv2 + dense + 2 * 2 * 32);
    expect(models.get("main_gap")?.totalParams).toBe(conv1 + (3 * 3 * 32 * 64 + 64) + 64 * 10 + 10);
  });

  it("the CIFAR-10 study's residual network and the resnet study's three models plan Keras' parameter counts", () => {
    const models = (file: string) => {
      const c = compile(readFileSync(file, "utf8"), file);
      if (!c.pipeline) throw new Error(c.diagnostics.map((d) => d.message).join("; "));
      return new Map(plan(c.pipeline).models.map((m) => [m.name, m.totalParams]));
    };
    // A block of two 3x3 convs with batchnorm: 2 x (3*3*c*c + c) + 2 x 4c.
    const block = (c: number) => 2 * (9 * c * c + c) + 8 * c;
    // The stride-2 block from 16 to 32 maps, and its 1x1 projection shortcut 16*32 + 32.
    const down = 9 * 16 * 32 + 32 + 9 * 32 * 32 + 32 + 8 * 32;
    const shortcut = 16 * 32 + 32;
    const head = 32 * 10 + 10;
    const stem = (channels: number) => 9 * channels * 16 + 16 + 4 * 16;
    const resnet = (channels: number) => stem(channels) + 2 * block(16) + down + shortcut + block(32) + head;
    expect(models("pipelines/cifar10-study.cnnp").get("resnet")).toBe(resnet(3));
    expect(resnet(3)).toBe(43_818);
    const study = models("pipelines/fashion-mnist-resnet.cnnp");
    expect(study.get("resnet")).toBe(resnet(1));
    expect(resnet(1)).toBe(43_530);
    // Without the additions there is no shortcut; without batchnorm, none of its 4 per channel.
    expect(study.get("plain")).toBe(resnet(1) - shortcut);
    expect(study.get("resnet_bare")).toBe(resnet(1) - 4 * (5 * 16 + 4 * 32));
    expect(study.get("final")).toBe(600_810);
  });

  it("the one-line form works as is, and trains 100 epochs per repeat, not 5,040", () => {
    const c = compile(
      "model conv32 pool conv32 pool dense128 dense10; repeat 10; sweep epochs [5..100]",
      "one.cnnp",
    );
    expect(c.diagnostics).toEqual([]);
    if (!c.pipeline) throw new Error("no pipeline");
    const p = plan(c.pipeline);
    expect(p.totals.configurations).toBe(96);
    expect(p.totals.jobs).toBe(960);
    expect(p.totals.runs).toBe(10);
    expect(p.totals.epochsPlanned).toBe(1000);
    expect(p.runs[0]?.evaluateAt).toHaveLength(96);
  });

  it("different repeats get different seeds; configurations share them, for paired comparisons", () => {
    const c = compile("model conv8 dense10\nrepeat 3\nseed 7\nsweep batch [16, 32]", "s.cnnp");
    if (!c.pipeline) throw new Error("no pipeline");
    const jobs = plan(c.pipeline).experiments[0]?.jobs ?? [];
    expect(jobs.map((j) => j.seed)).toEqual([7, 8, 9, 7, 8, 9]);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(6);
  });
});

describe("job ids", () => {
  const c = compile(
    'model m = conv8 pool flatten dense10\nexperiment "x" {\n  sweep epochs [1, 2]\n}\n',
    "ids.cnnp",
  );
  if (!c.pipeline) throw new Error("no pipeline");
  const pipeline = c.pipeline;
  const ids = (opts: Parameters<typeof plan>[1] = {}) =>
    plan(pipeline, opts).experiments[0]?.jobs.map((j) => j.id);

  it("cover the data's checksum (the official one by default) and the back end asked for", async () => {
    const { officialChecksum } = await import("../../src/data/checksums.js");
    expect(ids()).toEqual(ids({ dataChecksum: officialChecksum }));
    expect(ids({ dataChecksum: "other data" })).not.toEqual(ids());
    expect(ids({ backend: "cpu" })).not.toEqual(ids());
    expect(ids({ backend: "cpu" })).toEqual(ids({ backend: "cpu" }));
  });
});
