import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bounds } from "../../src/bounds.js";
import { compile } from "../../src/compile.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { formatDiagnostics } from "../../src/diagnostics/format.js";

const model = "model main = conv32 pool conv32 pool dense128 dense10";

/** The diagnostics of a pipeline, as `CODE line:col message`. */
function problems(source: string): string[] {
  return compile(source, "bounds.cnnp").diagnostics.map(
    (d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`,
  );
}

/** The one diagnostic of a pipeline that should have exactly one. */
function only(source: string): Diagnostic {
  const c = compile(source, "bounds.cnnp");
  expect(c.diagnostics.map((d) => d.message)).toHaveLength(1);
  expect(c.pipeline).toBeNull();
  return c.diagnostics[0] as Diagnostic;
}

describe("every number has bounds that check enforces at its place (finding 6)", () => {
  it("rejects a seed above 32 bits, and a seed whose last repeat would pass that", () => {
    const d = only(`${model}\nseed 100000000000000000000`);
    expect([d.code, d.span.line, d.span.column]).toEqual(["E104", 2, 6]);
    expect(d.message).toBe("seed must be at most 4,294,967,295, not 100000000000000000000");
    expect(d.hint).toMatch(/repeat r uses seed \+ r/);
    const last = only(`${model}\nseed ${bounds.seed.max}\nrepeat 3`);
    expect([last.code, last.span.line]).toEqual(["E104", 2]);
    expect(last.message).toMatch(/last repeat seed 4,294,967,297/);
    expect(compile(`${model}\nseed ${bounds.seed.max - 2}\nrepeat 3`, "ok.cnnp").pipeline).not.toBeNull();
  });

  it("rejects epochs, repeat, batch, evaluate_every, patience and learning rates past their bounds", () => {
    expect(problems(`${model}\nepochs 100000000000`)).toEqual([
      "E104 2:8 epochs must be at most 10,000, not 100000000000",
    ]);
    expect(problems(`${model}\nrepeat 1001`)).toEqual([
      "E104 2:8 repeat count must be at most 1,000, not 1001",
    ]);
    expect(problems(`${model}\nbatch 65537`)).toEqual([
      "E104 2:7 batch size must be at most 65,536, not 65537",
    ]);
    expect(problems(`${model}\nevaluate_every 10001`)).toEqual([
      "E104 2:16 evaluate_every must be at most 10,000, not 10001",
    ]);
    expect(problems(`${model}\nearly_stopping monitor loss patience 1e9`)).toEqual([
      "E104 2:38 patience must be at most 10,000, not 1e9",
    ]);
    expect(problems(`${model}\nlearning_rate 1e999`)).toEqual([
      "E104 2:15 learning rate must be at most 1,000, not 1e999",
    ]);
  });

  it("rejects sweep values past the bounds, so `sweep epochs [5, 2147483648]` never reaches the planner", () => {
    expect(problems(`${model}\nevaluate_every 1\nsweep epochs [5, 2147483648]`)).toEqual([
      "E104 3:18 epochs must be at most 10,000, not 2147483648",
    ]);
    expect(problems(`${model}\nsweep maps [1e308, 8]`)).toEqual([
      "E104 2:13 feature maps must be at most 4,096, not 1e308",
    ]);
    expect(problems(`${model}\nsweep maps [1..5000]`)).toEqual([
      "E104 2:13 feature maps must be at most 4,096, not 4097",
    ]);
  });

  it("bounds the values of one sweep and the configurations of one experiment", () => {
    const many = Array.from({ length: 10_001 }, (_, i) => 0.5 / (i + 2)).join(", ");
    expect(problems(`${model}\nsweep learning_rate [${many}]`)).toEqual([
      "E119 2:1 this sweep has 10,001 values; a sweep may have at most 10,000",
    ]);
    expect(problems(`${model}\nsweep batch [1..10000]\nsweep epochs [1..10000]`)).toEqual([
      "E119 2:1 experiment 'bounds' would have 100,000,000 configurations; at most 100,000 are allowed",
    ]);
  });

  it("bounds the jobs of a whole pipeline, so many large experiments cannot add up to an endless check", () => {
    const block = (i: number) => `experiment "E${i}" {\n  sweep maps [1..100]\n  sweep epochs [1..1000]\n}\n`;
    const source = `${model}\n${[1, 2, 3, 4].map(block).join("")}`;
    expect(problems(source)).toEqual([
      "E119 15:3 experiment 'E4' would bring the pipeline to 400,000 jobs; a pipeline may run at most 300,000",
    ]);
  }, 60_000);

  it("rejects huge filter, unit, kernel and window counts written into layer names", () => {
    expect(problems("model conv100000000 pool dense10")).toEqual([
      "E104 1:7 'conv100000000' asks for 100,000,000 filters; at most 4,096 are allowed",
    ]);
    expect(problems("model conv8 pool dense1e9 dense10")).toEqual([
      "E104 1:18 'dense1e9': a layer's units are a whole number in digits, from 1 to 65,536",
    ]);
    expect(problems("model conv8 pool dense100000 dense10")).toEqual([
      "E104 1:18 'dense100000' asks for 100,000 units; at most 65,536 are allowed",
    ]);
    expect(problems("model conv8x1000 dense10")[0]).toMatch(
      /^E104 1:7 'conv8x1000' asks for 1,000 pixels of kernel/,
    );
    expect(problems("model conv8 pool100 dense10")[0]).toMatch(
      /^E104 1:13 'pool100' asks for 100 pixels of window/,
    );
    expect(problems("model conv8(stride=1e9) dense10")[0]).toMatch(/^E104 1:20 stride must be at most 64/);
    expect(problems("model main = conv8 pool dense10\nmodel big = main maps 1e9")[0]).toMatch(
      /^E104 2:23 feature maps must be at most 4,096/,
    );
  });

  it("rejects data slices and folder image sizes past the bounds", () => {
    expect(problems(`${model}\ndata folder "x" train 1e12`)).toEqual([
      "E104 2:23 train size must be at most 10,000,000, not 1e12",
    ]);
    expect(problems(`${model}\ndata folder "x" size 100000`)).toEqual([
      "E104 2:22 image size must be at most 1,024, not 100000",
    ]);
  });

  it("rejects a model with more parameters than a job may train, at its largest layer", () => {
    const d = only("model conv32 pool dense65536 dense10");
    expect([d.code, d.span.line, d.span.column]).toEqual(["E132", 1, 19]);
    expect(d.message).toBe(
      "'conv32 pool dense65536 dense10' has 355,139,914 parameters (this layer 354,484,224); a model may have at most 100,000,000",
    );
    // A swept maps count that makes a model too large is caught too (at the layer, where it is written).
    expect(problems(`${model}\nsweep maps [8, 4000]`)).toEqual([
      "E132 1:26 'main maps 4000' has 156,845,418 parameters (this layer 144,004,000); a model may have at most 100,000,000",
    ]);
  });

  it("rejects a job whose estimated training memory is past the bound, at the batch that causes it", () => {
    expect(problems(`${model}\nsweep batch [32, 65536]`)).toEqual([
      "E132 2:18 training 'main' with batch 65,536 would need about 15.0 GiB of memory (estimated); one job may use at most 8.0 GiB",
    ]);
    expect(problems("model conv4096(same) conv8 pool dense10\nbatch 1024")).toEqual([
      "E132 2:1 training 'conv4096(same) conv8 pool dense10' with batch 1,024 would need about 24.6 GiB of memory (estimated); one job may use at most 8.0 GiB",
    ]);
  });

  it("rejects figures, thresholds and deltas too large to be numbers", () => {
    const base = `${model}\nexperiment "A" {\n  sweep maps [8, 16]\n`;
    expect(problems(`${base}  find min maps where test.accuracy >= 1e999\n}`)).toEqual([
      "E104 4:40 the condition's value 1e999 is too large to be a number",
    ]);
    expect(problems(`${base}  expect test.accuracy 1e999 for maps 8\n}`)).toEqual([
      "E104 4:24 the figure 1e999 is too large to be a number",
    ]);
    expect(problems(`${base}  expect test.accuracy 0.8 for maps 8 sd 1e999\n}`)).toEqual([
      "E128 4:42 sd is a number >= 0",
    ]);
    expect(problems(`${model}\nearly_stopping monitor loss min_delta 1e999`)).toEqual([
      "E104 2:39 min_delta is a number of at least 0",
    ]);
  });

  it("prints each bound's error with file:line:col, the line, carets and a hint that says what to do", () => {
    const source = `${model}\nsweep maps [1e308, 8]`;
    const c = compile(source, "maps.cnnp");
    expect(formatDiagnostics(c.diagnostics, "maps.cnnp", source)).toBe(
      [
        "error[E104]: feature maps must be at most 4,096, not 1e308",
        "  --> maps.cnnp:2:13",
        "  > 2 | sweep maps [1e308, 8]",
        "      |             ^^^^^",
        "  = hint: Give a conv layer 1 to 4,096 feature maps.",
        "",
        "maps.cnnp: 1 error",
      ].join("\n"),
    );
  });

  it("leaves today's pipelines clean", () => {
    for (const name of ["quick", "fashion-mnist-study", "cifar10-study"]) {
      const file = `pipelines/${name}.cnnp`;
      expect(compile(readFileSync(file, "utf8"), file).diagnostics).toEqual([]);
    }
  });
});
