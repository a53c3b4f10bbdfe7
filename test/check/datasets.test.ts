import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { formatDiagnostics } from "../../src/diagnostics/format.js";
import { plan } from "../../src/plan/plan.js";

const tmp = mkdtempSync(join(tmpdir(), "cnnp-check-data-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Three classes of 24x24 greyscale PNGs, 5 each, in tmp/images. */
beforeAll(async () => {
  for (const c of ["circle", "square", "star"]) {
    mkdirSync(join(tmp, "images", c), { recursive: true });
    for (let i = 0; i < 5; i++)
      await sharp({ create: { width: 24, height: 24, channels: 3, background: "#808080" } })
        .toColourspace("b-w")
        .png()
        .toFile(join(tmp, "images", c, `${i}.png`));
  }
});

function checked(text: string) {
  const file = join(tmp, "p.cnnp");
  const c = compile(text, file);
  return { c, shown: formatDiagnostics(c.diagnostics, file, text, { color: false }) };
}

describe("data sets in the checker", () => {
  it("gives CIFAR-10's models Keras' parameter counts: conv on 3 channels, batchnorm's 4 per channel, 2 trainable", () => {
    const { c } = checked("data cifar10\nmodel m = conv32 batchnorm pool conv64 globalpool dense10\n");
    expect(c.diagnostics).toEqual([]);
    if (!c.pipeline) throw new Error("no pipeline");
    const [m] = plan(c.pipeline).models;
    // Keras: Conv2D 3*3*3*32 + 32; BatchNormalization 4*32 (gamma, beta trainable; moving mean and variance not).
    expect(m?.layers.map((l) => [l.type, l.outputShape, l.params, l.trainable])).toEqual([
      ["Conv2D", [30, 30, 32], 3 * 3 * 3 * 32 + 32, 896],
      ["BatchNormalization", [30, 30, 32], 4 * 32, 2 * 32],
      ["MaxPooling2D", [15, 15, 32], 0, 0],
      ["Conv2D", [13, 13, 64], 3 * 3 * 32 * 64 + 64, 18496],
      ["GlobalAveragePooling2D", [64], 0, 0],
      ["Dense", [10], 64 * 10 + 10, 650],
    ]);
    expect(m?.totalParams).toBe(896 + 128 + 18496 + 650);
  });

  it("reads a folder's classes and image size, relative to the pipeline's folder", () => {
    const { c } = checked('data folder "images"\nmodel m = conv8 pool dense3\n');
    expect(c.diagnostics).toEqual([]);
    const cfg = c.pipeline?.experiments[0]?.configurations[0];
    expect(cfg?.model.input).toEqual([24, 24, 1]);
    expect(cfg?.data.folder?.classes).toEqual(["circle", "square", "star"]);
    expect((cfg?.data.train ?? 0) + (cfg?.data.test ?? 0)).toBe(15);
    const sized = checked('data folder "images" size 16 channels 3\nmodel m = conv8 pool dense3\n');
    expect(sized.c.pipeline?.experiments[0]?.configurations[0]?.model.input).toEqual([16, 16, 3]);
  });

  it("puts an output layer that does not fit the folder's classes at its place in the file", () => {
    const { c, shown } = checked('data folder "images"\nmodel m = conv8 pool dense10\n');
    expect(c.diagnostics.map((d) => d.code)).toEqual(["E113"]);
    expect(shown).toContain("p.cnnp:2:22");
    expect(shown).toContain("the output layer has 10 units but the data has 3 classes");
  });

  it("says when a data folder is missing, at the data statement", () => {
    const { c, shown } = checked('model m = conv8 pool dense3\ndata folder "nowhere"\n');
    expect(c.diagnostics.map((d) => d.code)).toEqual(["E130"]);
    expect(shown).toContain("p.cnnp:2:1");
    expect(shown).toContain(`${join(tmp, "nowhere")}: no such folder`);
  });

  it("wants augment first, and one data set per pipeline", () => {
    expect(checked("model m = conv8 augment pool dense10\n").c.diagnostics.map((d) => d.code)).toEqual([
      "E131",
    ]);
    const two = checked(
      'model m = conv8 pool dense10\nexperiment "a" { data mnist }\nexperiment "b" { data cifar10 }\n',
    );
    expect(two.c.diagnostics.map((d) => d.code)).toEqual(["E129"]);
    expect(two.shown).toContain("experiment 'b' reads cifar10, but 'a' reads mnist");
  });
});
