import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type OkResult, okResult } from "../store/schema.js";

const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));

/** The main model on 4 seeds: four jobs of equal size, each a few seconds of training. */
const pipeline = `data fashion_mnist train 4000 test 1000
epochs 2
repeat 4
model main = conv32 pool conv32 pool dense128 dense10
experiment "Four seeds" {}
`;

function metrics(dir: string): string {
  const jobs = join(dir, "jobs");
  return JSON.stringify(
    readdirSync(jobs)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => okResult.parse(JSON.parse(readFileSync(join(jobs, f), "utf8"))) as OkResult)
      .map((r) => [r.job, r.test.loss, r.test.accuracy, r.history.map((e) => [e.loss, e.accuracy])]),
  );
}

/** Wall time of `cnnp run` on the 4-job pipeline, from start to exit, in a fresh results folder. */
function wall(
  file: string,
  workers: number,
  root: string,
  round: number,
): { seconds: number; metrics: string } {
  const results = join(root, `w${workers}-r${round}`);
  const t0 = performance.now();
  execFileSync(process.execPath, [cli, "run", file, "--workers", String(workers), "--results", results], {
    stdio: "ignore",
  });
  return { seconds: (performance.now() - t0) / 1000, metrics: metrics(results) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * `--workers 1` against `--workers N` (N = the cores, at least 2) on the same 4-job pipeline, in
 * alternating rounds; prints the median wall times, the speed-up, and whether every metric matched.
 */
export function benchWorkers(rounds: number): void {
  const root = mkdtempSync(join(tmpdir(), "cnnp-bench-workers-"));
  const n = Math.max(2, availableParallelism());
  try {
    const file = join(root, "four.cnnp");
    writeFileSync(file, pipeline);
    const serial: number[] = [];
    const parallel: number[] = [];
    let same = true;
    for (let r = 0; r < rounds; r++) {
      const a = wall(file, 1, root, r);
      const b = wall(file, n, root, r);
      serial.push(a.seconds);
      parallel.push(b.seconds);
      same &&= a.metrics === b.metrics;
    }
    const s = median(serial);
    const p = median(parallel);
    console.log(
      `\nworkers: cnnp run on 4 jobs (main model, 4,000 images, 2 epochs each), median of ${rounds} rounds`,
    );
    console.log(`  --workers 1: ${s.toFixed(1)} s wall (${serial.map((x) => x.toFixed(1)).join(", ")})`);
    console.log(`  --workers ${n}: ${p.toFixed(1)} s wall (${parallel.map((x) => x.toFixed(1)).join(", ")})`);
    console.log(`  speed-up: ${(s / p).toFixed(2)}x; metrics identical: ${same ? "yes" : "NO"}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
