import { readFileSync } from "node:fs";
import { compile } from "../compile.js";
import { parse } from "../dsl/parse.js";

/** A pipeline of at least `lines` lines, built from the study's experiments with fresh titles. */
function bigPipeline(lines: number): string {
  const study = readFileSync(new URL("../../pipelines/fashion-mnist-study.cnnp", import.meta.url), "utf8");
  const [head = "", ...blocks] = study.split(/\n(?=experiment )/);
  const out = [head];
  let n = 0;
  while (out.join("\n").split("\n").length < lines) {
    for (const b of blocks)
      out.push(b.replace(/experiment "([^"]*)"/, (_m, t: string) => `experiment "${t} #${++n}"`));
  }
  return out.join("\n");
}

function time(f: () => void, rounds = 5): number {
  f();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)] ?? 0;
}

/** Parsing and checking a 10,000-line pipeline. */
export function benchParse(): void {
  const text = bigPipeline(10_000);
  const lineCount = text.split("\n").length;
  const parseMs = time(() => parse(text, "big.cnnp"));
  const checkMs = time(() => compile(text, "big.cnnp"));
  console.log(`parse: ${lineCount} lines in ${parseMs.toFixed(0)} ms (median of 5)`);
  console.log(`parse + check: ${lineCount} lines in ${checkMs.toFixed(0)} ms (median of 5)`);
}
