import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { formatDiagnostics } from "../../src/diagnostics/format.js";
import { Lines } from "../../src/diagnostics/lines.js";
import { cnnpLexer } from "../../src/dsl/tokens.js";
import { plan } from "../../src/plan/plan.js";

/**
 * Properties of `cnnp check` on the real pipelines, mutated as a careless or hostile user would:
 * tokens deleted, doubled and swapped, numbers made huge or negative, unicode and control
 * characters inserted, blocks nested deep, line endings changed. Whatever the input, checking
 * never throws, every rejection is located inside the file, and it takes little time.
 */

/** Fixed, so runs are repeatable; PROPERTY_SEED and PROPERTY_RUNS explore further by hand. */
const seed = Number(process.env.PROPERTY_SEED ?? 20_251_206);
const numRuns = Number(process.env.PROPERTY_RUNS ?? 1_200);
/** Generous: a mutated pipeline of a few KiB checks in milliseconds. */
const perInputMs = 3_000;

const pipelines = readdirSync("pipelines")
  .filter((f) => f.endsWith(".cnnp"))
  .sort()
  .map((f) => readFileSync(`pipelines/${f}`, "utf8"));

/** A pipeline as pieces that join back to it: each token with the text before it. */
function pieces(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (const t of cnnpLexer.tokenize(text).tokens) {
    const end = t.startOffset + t.image.length;
    out.push(text.slice(at, end));
    at = end;
  }
  out.push(text.slice(at));
  return out;
}

const numbers = [
  "0",
  "-0",
  "-1",
  "-5",
  "1e308",
  "1e999",
  "-1e999",
  "1e-320",
  "2147483648",
  "4294967296",
  "100000000000000000000",
  "9007199254740993",
  "0.0000001",
  "65537",
  "1e9",
];

const snippets = [
  'experiment "deep" {',
  "}",
  "{",
  "[",
  "]",
  "(",
  ")",
  '"""',
  '"',
  "\r",
  "\r\n",
  ";",
  "conv100000000",
  "dense1e9",
  "pool1000",
  "sweep maps [1e308, 8]",
  "sweep epochs [5, 2147483648]",
  "evaluate_every 1",
  "seed 100000000000000000000",
  'from "6.2"',
  "find best epoch by val.loss",
  "\u2028",
  "\u0000",
  "\uFEFF",
  "é",
  "🧪",
];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("double" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant("number" as const), at: fc.nat(), value: fc.constantFrom(...numbers) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.constantFrom(...snippets) }),
  fc.record({
    kind: fc.constant("unicode" as const),
    at: fc.nat(),
    text: fc.string({ unit: "binary", maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant("nest" as const), at: fc.nat(), depth: fc.integer({ min: 1, max: 400 }) }),
);

const endings = fc.constantFrom("\n", "\r\n", "\r");

/** A real pipeline with one to six mutations, and its line endings changed. */
const mutated = fc
  .tuple(
    fc.constantFrom(...pipelines.map(pieces)),
    fc.array(mutation, { minLength: 1, maxLength: 6 }),
    endings,
  )
  .map(([original, ms, eol]) => {
    const p = [...original];
    for (const m of ms) {
      const i = m.at % p.length;
      const piece = p[i] ?? "";
      if (m.kind === "delete") p.splice(i, 1);
      else if (m.kind === "double") p.splice(i, 0, piece);
      else if (m.kind === "swap") {
        const j = m.with % p.length;
        [p[i], p[j]] = [p[j] ?? "", piece];
      } else if (m.kind === "number") p[i] = piece.replace(/-?\d+(\.\d+)?([eE][+-]?\d+)?$/, m.value);
      else if (m.kind === "insert" || m.kind === "unicode") p.splice(i, 0, ` ${m.text}`);
      else {
        const open = Array.from({ length: m.depth }, (_, k) => `experiment "n${k}" {`).join("\n");
        p.splice(i, 0, `\n${open}\nepochs 2\n${"}\n".repeat(m.depth)}`);
      }
    }
    return p.join("").replace(/\r\n?|\n/g, eol);
  });

/** Asserts the properties for one input; returns whether it was rejected. */
function holds(text: string): boolean {
  const t0 = performance.now();
  const c = compile(text, "mutated.cnnp");
  const printed = formatDiagnostics(c.diagnostics, "mutated.cnnp", text);
  expect(performance.now() - t0).toBeLessThan(perInputMs);
  const lines = new Lines(text);
  for (const d of c.diagnostics) {
    expect(d.span.line).toBeGreaterThanOrEqual(1);
    expect(d.span.line).toBeLessThanOrEqual(lines.count);
    expect(d.span.column).toBeGreaterThanOrEqual(1);
    expect(d.span.column).toBeLessThanOrEqual(lines.line(d.span.line).length + 1);
    expect(d.message.length).toBeGreaterThan(0);
  }
  for (const d of c.diagnostics.slice(0, 100))
    expect(printed).toContain(`mutated.cnnp:${d.span.line}:${d.span.column}`);
  const rejected = c.diagnostics.some((d) => d.severity === "error");
  expect(c.pipeline === null).toBe(rejected);
  // What check accepts, the planner takes without a complaint check could have made.
  if (c.pipeline) expect(() => plan(c.pipeline as NonNullable<typeof c.pipeline>)).not.toThrow();
  return rejected;
}

describe("checking mutated real pipelines (property)", () => {
  it("never throws, locates every rejection inside the file, and stays fast", () => {
    let rejected = 0;
    let runs = 0;
    fc.assert(
      fc.property(mutated, (text) => {
        runs++;
        if (holds(text)) rejected++;
      }),
      { seed, numRuns },
    );
    // The mutations do reach the checks: most inputs are rejected, some still pass.
    expect(rejected).toBeGreaterThan(runs / 2);
    expect(rejected).toBeLessThan(runs);
  }, 120_000);

  it("checks the study repeated to 1 MB, with thousands of duplicate names, within a generous bound", () => {
    const study = readFileSync("pipelines/fashion-mnist-study.cnnp", "utf8");
    const big = `${study}\n`.repeat(Math.ceil(1_000_000 / (study.length + 1)));
    const t0 = performance.now();
    const c = compile(big, "big.cnnp");
    const printed = formatDiagnostics(c.diagnostics, "big.cnnp", big);
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(c.diagnostics.length).toBeGreaterThan(5000);
    expect(printed).toMatch(/big\.cnnp: \d+ errors$/);
  }, 60_000);

  it("makes the CLI exit 0 or 1, never with an internal error", () => {
    mkdirSync("test/.tmp", { recursive: true });
    const deep = `${'experiment "x" {\n'.repeat(450)}model conv8 pool dense10\n${"}\n".repeat(450)}`;
    const epochs = "model conv8 pool dense10\nevaluate_every 1\nsweep epochs [5, 2147483648]\n";
    const inputs: [string, string][] = [
      ["check", deep],
      ["plan", epochs],
      ...fc.sample(mutated, { numRuns: 4, seed }).map((t): [string, string] => ["check", t]),
    ];
    for (const [i, [command, text]] of inputs.entries()) {
      const file = `test/.tmp/property-${i}.cnnp`;
      writeFileSync(file, text);
      const r = spawnSync(process.execPath, ["dist/cli/main.js", command, file], {
        encoding: "utf8",
        timeout: 30_000,
      });
      expect([0, 1]).toContain(r.status);
      expect(r.stderr).not.toContain("internal error");
      expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    }
  }, 120_000);
});
