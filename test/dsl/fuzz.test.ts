import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { cnnpLexer } from "../../src/dsl/tokens.js";

const seeds = [
  readFileSync("pipelines/fashion-mnist-study.cnnp", "utf8"),
  readFileSync("pipelines/quick.cnnp", "utf8"),
  readFileSync("test/fixtures/mistakes.cnnp", "utf8"),
];

/** A pipeline's tokens (with the text between them), to mutate at the token level. */
function pieces(text: string): string[] {
  const { tokens } = cnnpLexer.tokenize(text);
  return tokens.map((t) => t.image);
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("bytes" as const),
    at: fc.nat(),
    bytes: fc.string({ unit: "binary", maxLength: 8 }),
  }),
);

const mutated = fc
  .tuple(fc.constantFrom(...seeds.map(pieces)), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([toks, ms]) => {
    const t = [...toks];
    for (const m of ms) {
      if (t.length === 0) break;
      const i = m.at % t.length;
      if (m.kind === "delete") t.splice(i, 1);
      else if (m.kind === "duplicate") t.splice(i, 0, t[i] ?? "");
      else if (m.kind === "swap") {
        const j = m.with % t.length;
        [t[i], t[j]] = [t[j] ?? "", t[i] ?? ""];
      } else t.splice(i, 0, m.bytes);
    }
    return t.join(" ");
  });

describe("mutated pipelines", () => {
  it("never make the checker throw or hang, and every diagnostic has a place", () => {
    fc.assert(
      fc.property(mutated, (text) => {
        const t0 = performance.now();
        const c = compile(text, "fuzz.cnnp");
        expect(performance.now() - t0).toBeLessThan(5000);
        for (const d of c.diagnostics) {
          expect(d.span.line).toBeGreaterThanOrEqual(1);
          expect(d.span.column).toBeGreaterThanOrEqual(1);
        }
        expect(c.pipeline === null).toBe(c.diagnostics.some((d) => d.severity === "error"));
      }),
      { numRuns: 3000 },
    );
  }, 120_000);

  it("make the CLI exit 0 or 1, never with a stack trace", () => {
    mkdirSync("test/.tmp", { recursive: true });
    const samples = fc.sample(mutated, { numRuns: 25, seed: 42 });
    for (const [i, text] of samples.entries()) {
      const file = `test/.tmp/fuzz-${i}.cnnp`;
      writeFileSync(file, text);
      const r = spawnSync(process.execPath, ["dist/cli/main.js", "check", file], {
        encoding: "utf8",
        timeout: 20_000,
      });
      expect([0, 1]).toContain(r.status);
      expect(r.stderr).not.toContain("internal error");
    }
  }, 120_000);
});
