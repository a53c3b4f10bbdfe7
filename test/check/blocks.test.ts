import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { plan } from "../../src/plan/plan.js";

/** `block NAME = layers`: blocks in models, their width from the name, masks over them, their errors. */
const blocks = `block res16 = residual(conv16(same, linear) batchnorm relu conv16(same, linear) batchnorm) relu
block down32 = residual(conv32(same, linear, stride=2) batchnorm relu conv32(same, linear) batchnorm) relu
`;

function models(text: string) {
  const c = compile(text, "b.cnnp");
  return { diagnostics: c.diagnostics, models: c.pipeline ? plan(c.pipeline).models : [] };
}

describe("blocks", () => {
  it("give the issue's resnet Keras' 43,530 parameters, res32 being res16 at 32 maps", () => {
    const {
      diagnostics,
      models: [m],
    } = models(
      `${blocks}model resnet = conv16(same, linear) batchnorm relu res16 res16 down32 res32 globalpool dense10\n`,
    );
    expect(diagnostics).toEqual([]);
    // conv 160 + batchnorm 64; res16: 2 x 2,320 + 2 x 64 = 4,768, twice; down32: 4,640 + 9,248 +
    // 2 x 128 + shortcut 544 = 14,688; res32: 2 x (3*3*32*32+32 = 9,248) + 2 x 128 = 18,752; dense 330.
    expect(m?.totalParams).toBe(160 + 64 + 2 * 4_768 + 14_688 + 18_752 + 330);
    const top = m?.layers.filter((l) => !l.depth).map((l) => [l.type, l.params]);
    expect(top).toEqual([
      ["Conv2D", 160],
      ["BatchNormalization", 64],
      ["Activation", 0],
      ["Block res16", 4_768],
      ["Block res16", 4_768],
      ["Block down32", 14_688],
      ["Block res32", 18_752],
      ["GlobalAveragePooling2D", 0],
      ["Dense", 330],
    ]);
  });

  it("count as one layer each for a mask: 1-1-0 drops the block down32", () => {
    const {
      diagnostics,
      models: [m],
    } = models(
      `${blocks}model m = conv16(same, linear) batchnorm relu res16 down32 globalpool dense10 mask 1-1-0\n`,
    );
    expect(diagnostics).toEqual([]);
    expect(m?.layers.filter((l) => !l.depth).map((l) => l.type)).toEqual([
      "Conv2D",
      "BatchNormalization",
      "Activation",
      "Block res16",
      "GlobalAveragePooling2D",
      "Dense",
    ]);
  });

  it("are errors at their place when defined twice or in terms of themselves", () => {
    const twice = models(`${blocks}block res16 = conv8\nmodel m = conv16(same) res16 pool dense10\n`);
    expect(twice.diagnostics.map((d) => [d.code, d.span.line])).toEqual([["E108", 3]]);
    const itself = models("block loop = conv8(same) loop\nmodel m = conv8(same) loop pool dense10\n");
    expect(itself.diagnostics.map((d) => d.code)).toContain("E107");
  });

  it("are named in the error for an unknown word: the nearest block, or the blocks there are", () => {
    const typo = models(`${blocks}model m = conv16(same, linear) rse16 dense10\n`);
    expect(typo.diagnostics.map((d) => [d.code, d.span.line, d.span.column, d.message, d.hint])).toEqual([
      ["E102", 3, 32, "unknown layer or block 'rse16'", "did you mean block 'res16'?"],
    ]);
    const other = models(`${blocks}model m = conv16(same, linear) bottleneck64 dense10\n`);
    expect(other.diagnostics[0]?.message).toBe("unknown layer or block 'bottleneck64'");
    expect(other.diagnostics[0]?.hint).toMatch(/^The blocks here are 'res16', 'down32'; /);
    // Without blocks, no guess that is no layer either: res16 is not taken for relu16.
    const none = models("model m = conv16 res16 dense10\n");
    expect(none.diagnostics[0]?.message).toBe("unknown layer 'res16'");
    expect(none.diagnostics[0]?.hint).toMatch(/^Layers are conv<N>/);
  });

  it("may not take a layer's name or a model's: E108 at the name that comes second", () => {
    // conv0 and dense0 are no valid layers, but conv's and dense's words: as blocks they took
    // over conv8 and dense10 (at widths 8 and 10).
    for (const name of [
      "conv16",
      "relu",
      "residual",
      "dropout0.5",
      "globalpool",
      "conv0",
      "dense0",
      "pool0",
    ]) {
      const r = models(`block ${name} = conv8(same) conv8(same)\nmodel m = conv16(same) pool dense10\n`);
      expect(r.diagnostics.map((d) => [d.code, d.span.line, d.span.column, d.message])).toEqual([
        ["E108", 1, 7, `'${name}' is a layer: a block of that name would hide it`],
      ]);
    }
    // Either order, one error, and the block still serves the layers that name it.
    for (const text of [
      "block main = conv8(same)\nmodel main = conv16(same) main pool dense10\n",
      "model main = conv16(same) main pool dense10\nblock main = conv8(same)\n",
    ]) {
      const r = models(text);
      expect(r.diagnostics.map((d) => [d.code, d.span.line, d.message, d.related?.[0]?.span.line])).toEqual([
        ["E108", 2, "'main' names both a model and a block", 1],
      ]);
    }
  });

  it("offer a near layer before a near block in an unknown word's hint", () => {
    const r = models("block rel16 = conv8(same)\nmodel m = conv16(same) relx pool dense10\n");
    expect(r.diagnostics.map((d) => d.hint)).toEqual(["did you mean 'relu'? Or block 'rel16'?"]);
  });

  it("take a width from 1 to the conv layers' limit: r0 and r99999999 are E104 at the word", () => {
    for (const [word, width] of [
      ["res0", "0"],
      ["res99999999", "99,999,999"],
    ]) {
      const r = models(`${blocks}model m = conv16(same, linear) ${word} globalpool dense10\n`);
      expect(r.diagnostics.map((d) => [d.code, d.span.line, d.span.column, d.message])).toEqual([
        ["E104", 3, 32, `'${word}' asks for block 'res16' at ${width} maps; a width is 1 to 4,096`],
      ]);
    }
  });

  it("nest to 32 levels, each with a residual; deeper is E133 once, and 5,000 in a chain do not run the checker out of stack", () => {
    const chain = (n: number, use: string) =>
      `block b0 = conv4(same)\n${Array.from({ length: n - 1 }, (_, i) => `block b${i + 1} = residual(b${i})`).join("\n")}\nmodel m = ${use} pool dense10\n`;
    expect(models(chain(32, "b31")).diagnostics).toEqual([]);
    // Reported at the block that is one level too deep, whichever block the model reads first.
    for (const use of ["b32", "b10 b32"]) {
      const deep = models(chain(33, use));
      expect(deep.diagnostics.map((d) => [d.code, d.span.line, d.message])).toEqual([
        ["E133", 33, "block 'b32' nests blocks 33 levels deep; blocks nest at most 32 levels deep"],
      ]);
    }
    const long = models(chain(5000, "b4999"));
    expect(long.diagnostics.map((d) => d.code)).toEqual(["E133"]);
    // Two chains too deep: each has its error.
    const two = `${chain(40, "b39")}${Array.from({ length: 40 }, (_, i) => `block c${i} = ${i === 0 ? "conv4(same)" : `residual(c${i - 1})`}`).join("\n")}\nmodel n = c39 pool dense10\n`;
    expect(models(two).diagnostics.map((d) => d.code)).toEqual(["E133", "E133"]);
  });
});

describe("models built from models", () => {
  const chain = (n: number, use: string) =>
    `model m1 = conv4 pool dense10\n${Array.from({ length: n - 1 }, (_, i) => `model m${i + 2} = m${i + 1} maps 4`).join("\n")}\nexperiment "x" {\n  model ${use}\n}\n`;

  it("go 32 levels deep; deeper is E133 once, and 5,000 in a chain do not run the checker out of stack", () => {
    expect(models(chain(32, "m32")).diagnostics).toEqual([]);
    expect(models(chain(33, "m33")).diagnostics.map((d) => [d.code, d.span.line, d.message])).toEqual([
      [
        "E133",
        33,
        "model 'm33' is built from models 33 levels deep; models build on models at most 32 levels deep",
      ],
    ]);
    expect(models(chain(5000, "m5000")).diagnostics.map((d) => d.code)).toEqual(["E133"]);
  });
});
