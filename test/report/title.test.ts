import { describe, expect, it } from "vitest";
import { titleOf } from "../../src/report/build.js";

describe("the site's title", () => {
  it("spells a data set's name as the set does when the file name starts with it", () => {
    expect(titleOf("pipelines/fashion-mnist-study.cnnp", { name: "fashion_mnist" })).toBe(
      "Fashion-MNIST study",
    );
    expect(titleOf("cifar10-study.cnnp", { name: "cifar10" })).toBe("CIFAR-10 study");
    expect(titleOf("mnist.cnnp", { name: "mnist" })).toBe("MNIST");
  });

  it("is the file name in words otherwise", () => {
    expect(titleOf("pipelines/quick.cnnp", { name: "fashion_mnist" })).toBe("Quick");
    expect(titleOf("mnistish_runs.cnnp", { name: "mnist" })).toBe("Mnistish runs");
    expect(titleOf("shapes.cnnp", { name: "folder" })).toBe("Shapes");
  });
});
