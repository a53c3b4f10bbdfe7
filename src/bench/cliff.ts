import { type ChildProcess, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { compile } from "../compile.js";
import { plan } from "../plan/plan.js";
import { measure, type Rate } from "./study.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Training on a busy machine: with as many other busy processes as cores, the main model on 1
 * thread and on every core's thread, with cnnp's OpenMP settings and with spinning waits
 * (OMP_WAIT_POLICY=ACTIVE, what OpenMP does for a while by default) for contrast.
 */
export async function benchCliff(rounds: number, images = 2048): Promise<void> {
  const c = compile(
    'data fashion_mnist\nmodel main = conv32 pool conv32 pool dense128 dense10\nexperiment "x" {}\n',
    "cliff.cnnp",
  );
  const model = c.pipeline ? plan(c.pipeline).runs[0]?.model : undefined;
  if (!model) throw new Error("internal: the main model did not plan");
  const cores = Math.max(2, availableParallelism());
  const busy: ChildProcess[] = Array.from({ length: cores }, () =>
    spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }),
  );
  try {
    const cases = [
      { label: "1 thread", threads: 1, env: {} },
      { label: `${cores} threads`, threads: cores, env: {} },
      {
        label: `${cores} threads, spinning waits (ACTIVE)`,
        threads: cores,
        env: { OMP_WAIT_POLICY: "ACTIVE" },
      },
    ];
    const times = new Map<string, number[]>(cases.map((k) => [k.label, []]));
    for (let r = 0; r < rounds; r++)
      for (const k of cases) {
        const rate: Rate = await measure({ model, train: images, test: 100 }, k.threads, k.env);
        times.get(k.label)?.push(rate.train * images);
      }
    console.log(
      `\ncliff: the main model on ${images.toLocaleString("en-US")} images with ${cores} other busy processes on ${cores} cores, median of ${rounds} rounds`,
    );
    const one = median(times.get("1 thread") ?? []);
    for (const k of cases) {
      const m = median(times.get(k.label) ?? []);
      console.log(
        `  ${k.label.padEnd(40)} ${m.toFixed(2).padStart(6)} s  (${(m / one).toFixed(2)}x 1 thread)`,
      );
    }
  } finally {
    for (const b of busy) b.kill("SIGKILL");
  }
}
