import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { planToText } from "../../src/plan/format.js";
import { plan } from "../../src/plan/plan.js";

// Golden files hold the plan text of each pipeline; `npm run golden` rewrites them after a
// deliberate change, and the diff shows what changed for users.
const update = process.env.UPDATE_GOLDEN === "1";

describe("plan output matches the golden files", () => {
  for (const name of ["quick", "fashion-mnist-study"]) {
    it(name, () => {
      const file = `pipelines/${name}.cnnp`;
      const c = compile(readFileSync(file, "utf8"), file);
      if (!c.pipeline) throw new Error("no pipeline");
      const text = `${planToText(plan(c.pipeline))}\n`;
      const golden = `test/golden/${name}.plan.txt`;
      if (update) writeFileSync(golden, text);
      else if (!existsSync(golden))
        throw new Error(`${golden} is missing: write it with \`npm run golden\` and review it`);
      expect(text).toBe(readFileSync(golden, "utf8"));
    });
  }
});
