import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { plan } from "../../src/plan/plan.js";

function models(source: string) {
  const c = compile(source, "t.cnnp");
  expect(c.diagnostics).toEqual([]);
  if (!c.pipeline) throw new Error("no pipeline");
  return plan(c.pipeline).models;
}

describe("model summaries follow Keras' shape rules", () => {
  it("the main model has 113,386 parameters, layer by layer as the study describes it", () => {
    const [m] = models("model main = conv32 pool conv32 pool dense128 dense10");
    expect(m?.layers.map((l) => [l.type, l.outputShape, l.params])).toEqual([
      ["Conv2D", [26, 26, 32], 320],
      ["MaxPooling2D", [13, 13, 32], 0],
      ["Conv2D", [11, 11, 32], 9248],
      ["MaxPooling2D", [5, 5, 32], 0],
      ["Flatten", [800], 0],
      ["Dense", [128], 102528],
      ["Dense", [10], 1290],
    ]);
    expect(m?.totalParams).toBe(113386);
  });

  it("mask 1-0-1-1 drops the first pooling layer: 600,810 parameters", () => {
    const [m] = models("model main = conv32 pool conv32 pool dense128 dense10\nmask 1-0-1-1");
    expect(m?.layers.map((l) => [l.type, l.outputShape, l.params])).toEqual([
      ["Conv2D", [26, 26, 32], 320],
      ["Conv2D", [24, 24, 32], 9248],
      ["MaxPooling2D", [12, 12, 32], 0],
      ["Flatten", [4608], 0],
      ["Dense", [128], 589952],
      ["Dense", [10], 1290],
    ]);
    expect(m?.totalParams).toBe(600810);
  });

  it("uses softmax on the last dense layer and relu elsewhere unless told", () => {
    const [m] = models("model conv8(tanh, padding=same) pool3 dense16 dense10");
    const layers = m?.layers.map((l) => l.spec);
    expect(layers?.[0]).toMatchObject({
      type: "conv2d",
      activation: "tanh",
      padding: "same",
      kernel: [3, 3],
    });
    expect(m?.layers[0]?.outputShape).toEqual([28, 28, 8]);
    expect(m?.layers[1]?.outputShape).toEqual([9, 9, 8]);
    expect(layers?.at(-2)).toMatchObject({ type: "dense", activation: "relu" });
    expect(layers?.at(-1)).toMatchObject({ type: "dense", activation: "softmax" });
  });

  it("inserts layers after a position of the base model, and maps set every conv", () => {
    const [m] = models(
      "model main = conv32 pool conv32 pool dense128 dense10\nmodel main mask 1-0-1-1 insert conv32x5 pool after 4 maps 8",
    );
    expect(m?.layers.map((l) => l.type)).toEqual([
      "Conv2D",
      "Conv2D",
      "MaxPooling2D",
      "Conv2D",
      "MaxPooling2D",
      "Flatten",
      "Dense",
      "Dense",
    ]);
    expect(m?.layers[3]?.outputShape).toEqual([8, 8, 8]);
  });
});
