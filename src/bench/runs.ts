import { compile } from "../compile.js";
import { plan } from "../plan/plan.js";
import type { Run } from "../plan/types.js";

/** The study's main model. */
export const mainModel = "conv32 pool conv32 pool dense128 dense10";

/** A run of a model on the first `images` training images, as a pipeline with these settings plans it. */
export function benchRun(
  model: string,
  o: { images: number; epochs?: number; test?: number; batch?: number; settings?: string },
): Run {
  const c = compile(
    `data fashion_mnist train ${o.images} test ${o.test ?? 1000}\nepochs ${o.epochs ?? 1}\nbatch ${o.batch ?? 32}\n${o.settings ?? ""}\nmodel m = ${model}\nexperiment "bench" {}\n`,
    "bench.cnnp",
  );
  const run = c.pipeline ? plan(c.pipeline).runs[0] : undefined;
  if (!run)
    throw new Error(
      `internal: the bench pipeline did not plan: ${c.diagnostics.map((d) => d.message).join("; ")}`,
    );
  return run;
}
