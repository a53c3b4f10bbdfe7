import { expect } from "vitest";
import { compile } from "../../src/compile.js";
import { plan } from "../../src/plan/plan.js";
import type { Run } from "../../src/plan/types.js";

/** The one run of a model trained 1 epoch on `train` images with momentum (and `settings`), tested on 300. */
export function runOf(model: string, train = 256, settings = ""): Run {
  const c = compile(
    `data fashion_mnist train ${train} test 300\nepochs 1\nmomentum 0.9\n${settings}\nmodel m = ${model}\n`,
    "x.cnnp",
  );
  expect(c.diagnostics).toEqual([]);
  const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
  if (!run) throw new Error("no run");
  return run;
}
