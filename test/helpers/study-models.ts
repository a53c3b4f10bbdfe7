import { readFileSync } from "node:fs";
import { compile } from "../../src/compile.js";
import type { ModelSpec } from "../../src/model/index.js";
import { plan } from "../../src/plan/plan.js";

/** The study's distinct models, each once. */
export function studyModels(): ModelSpec[] {
  const text = readFileSync(new URL("../../pipelines/fashion-mnist-study.cnnp", import.meta.url), "utf8");
  const c = compile(text, "fashion-mnist-study.cnnp");
  if (!c.pipeline) throw new Error("the study does not compile");
  const models = new Map<string, ModelSpec>();
  for (const r of plan(c.pipeline).runs) models.set(JSON.stringify(r.model.layers), r.model);
  return [...models.values()];
}
