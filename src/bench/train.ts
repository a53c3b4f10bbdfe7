import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { type Dataset, loadFashionMnist } from "../data/idx-sets.js";
import type { Run } from "../plan/types.js";
import { BackendUnavailable, selectBackend } from "../train/backends/index.js";
import { host } from "../train/environment.js";
import { fitRun } from "../train/fit.js";
import { benchRun, mainModel } from "./runs.js";

/** A back end as the bench measures it: wasm twice, with stock kernels and with cnnp's. */
interface Contender {
  label: string;
  backend: "wasm" | "cpu" | "native" | "tensorflow" | "tensorflow-gpu";
  kernels?: "fast" | "stock";
  /** Training images per measurement (the pure-JS cpu back end gets few). */
  images: number;
  batch: number;
  /** The native back end kernel by kernel through TensorFlow.js (CNNP_NATIVE_STEP=off). */
  kernelByKernel?: boolean;
}

const contenders: Contender[] = [
  {
    label: "wasm, stock kernels + filter gradient",
    backend: "wasm",
    kernels: "stock",
    images: 2048,
    batch: 32,
  },
  { label: "wasm, cnnp kernels", backend: "wasm", kernels: "fast", images: 2048, batch: 32 },
  { label: "wasm, cnnp kernels, batch 128", backend: "wasm", kernels: "fast", images: 2048, batch: 128 },
  { label: "cpu (pure JavaScript)", backend: "cpu", images: 64, batch: 32 },
  {
    label: "native, kernel by kernel",
    backend: "native",
    images: 2048,
    batch: 32,
    kernelByKernel: true,
  },
  { label: "native (oneDNN), whole step", backend: "native", images: 2048, batch: 32 },
  { label: "native (oneDNN), batch 128", backend: "native", images: 2048, batch: 128 },
  { label: "tensorflow (tfjs-node)", backend: "tensorflow", images: 2048, batch: 32 },
  { label: "tensorflow-gpu (tfjs-node-gpu)", backend: "tensorflow-gpu", images: 2048, batch: 32 },
];

function mainRun(images: number, epochs = 1, test = 1000, batch = 32): Run {
  return benchRun(mainModel, { images, epochs, test, batch });
}

/** The last native whole-step run's profile: seconds per phase and in all steps. */
let lastProfile: { phases: Record<string, number>; seconds: number } | null = null;

/** Training samples per second over one epoch of `images` images (evaluation not counted). */
async function samplesPerSecond(run: Run, data: Dataset, c?: Contender): Promise<number> {
  if (c?.kernelByKernel) process.env.CNNP_NATIVE_STEP = "off";
  else delete process.env.CNNP_NATIVE_STEP;
  const o = await fitRun({ ...run, evaluateAt: [] }, data, {
    onBatch: (p) => {
      if (p.batch % 8 === 0 || p.batch === p.batches) peak = Math.max(peak, process.memoryUsage().rss);
    },
  });
  delete process.env.CNNP_NATIVE_STEP;
  if (o.steps.phases) lastProfile = { phases: o.steps.phases, seconds: o.steps.seconds };
  const e = o.epochs[0];
  if (!e) throw new Error("internal: no epoch trained");
  return o.trainSamples / e.seconds;
}

/** The process's largest resident set seen while training, in bytes (sampled every 8 batches). */
let peak = 0;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export interface TrainBenchOptions {
  rounds: number;
  fullEpoch: boolean;
  peer: boolean;
  peerScript: string;
}

/**
 * Samples per second training the main model at batch 32, per back end that loads, in rounds that
 * alternate between back ends (so a noisy neighbour hits all alike); the median round is reported.
 */
export async function benchTrain(opts: TrainBenchOptions): Promise<void> {
  const data = await loadFashionMnist();
  const h = host();
  console.log(`train: main model (113,386 parameters), batch 32, SGD 0.01, on ${h.cpu} (${h.cores} cores)`);
  const rates = new Map<Contender, number[]>();
  const skipped: string[] = [];
  const live: Contender[] = [];
  for (const c of contenders) {
    try {
      await selectBackend(c.backend, { kernels: c.kernels });
      await samplesPerSecond(mainRun(Math.min(c.images, 256), 1, 1000, c.batch), data, c); // warm-up: compile, allocate
      live.push(c);
      rates.set(c, []);
    } catch (e) {
      if (!(e instanceof BackendUnavailable)) throw e;
      skipped.push(`  ${c.label.padEnd(40)} skipped: ${e.message}`);
    }
  }
  const peaks = new Map<Contender, number>();
  const profiles: { phases: Record<string, number>; seconds: number }[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    for (const c of live) {
      await selectBackend(c.backend, { kernels: c.kernels });
      peak = 0;
      rates.get(c)?.push(await samplesPerSecond(mainRun(c.images, 1, 1000, c.batch), data, c));
      if (c.backend === "native" && !c.kernelByKernel && c.batch === 32 && lastProfile)
        profiles.push(lastProfile);
      peaks.set(c, Math.max(peaks.get(c) ?? 0, peak));
    }
  }
  const stock = median(rates.get(contenders[0] as Contender) ?? [Number.NaN]);
  for (const c of live) {
    const m = median(rates.get(c) ?? []);
    const vsStock =
      c.backend !== "wasm" || c.kernels === "stock" ? "" : `  = ${(m / stock).toFixed(2)}x stock wasm`;
    console.log(
      `  ${c.label.padEnd(40)} ${m.toFixed(0).padStart(6)} samples/s (median of ${opts.rounds} rounds of ${c.images.toLocaleString("en-US")} images; 60,000 would take ${(60000 / m).toFixed(0)} s; process peak RSS ${mib(peaks.get(c) ?? 0)})${vsStock}`,
    );
  }
  for (const s of skipped) console.log(s);
  printProfile(profiles);

  let epochRate: { label: string; rate: number; backend: string } | null = null;
  if (opts.fullEpoch) {
    const best = live
      .filter((c) => c.batch === 32)
      .reduce((a, b) => (median(rates.get(a) ?? []) >= median(rates.get(b) ?? []) ? a : b));
    await selectBackend(best.backend, { kernels: best.kernels });
    const o = await fitRun({ ...mainRun(60000, 1, 10000), evaluateAt: [1] }, data);
    const e = o.epochs[0];
    if (e?.test) {
      epochRate = { label: best.label, rate: 60000 / e.seconds, backend: best.backend };
      console.log(
        `  full epoch on ${best.label}: 60,000 images in ${e.seconds.toFixed(1)} s (${(60000 / e.seconds).toFixed(0)} samples/s); test accuracy after it ${e.test.accuracy.toFixed(4)} (10,000 images in ${e.test.seconds.toFixed(1)} s)`,
      );
    }
  }

  if (opts.peer) {
    const python = "/usr/bin/python3";
    if (!existsSync(opts.peerScript)) console.log(`  peer: skipped (no ${opts.peerScript})`);
    else {
      try {
        for (const batch of [32, 128]) {
          const r = peerRun(python, opts.peerScript, batch);
          console.log(
            `  peer ${r.peer} (2 threads), batch ${batch}`.padEnd(43) +
              `${String(r.samples_per_s).padStart(6)} samples/s (one epoch of 60,000 in ${r.epoch_s} s; test accuracy ${r.test_acc}; peak RSS ${mib(r.rss)})`,
          );
          const native = live.find((c) => c.backend === "native" && !c.kernelByKernel && c.batch === batch);
          if (!native) continue;
          const short = median(rates.get(native) ?? []) / r.samples_per_s;
          const full =
            batch === 32 && epochRate?.backend === "native"
              ? `; full epoch ${(epochRate.rate / r.samples_per_s).toFixed(2)}`
              : "";
          console.log(
            `  native/peer at batch ${batch}, 2 threads each: ${short.toFixed(2)} (rounds of 2,048 images)${full}`,
          );
        }
      } catch (e) {
        console.log(
          `  peer: skipped (${python} ${opts.peerScript} failed: ${(e as Error).message.split("\n")[0]}; on Debian: apt-get install python3-torch)`,
        );
      }
    }
  }
}

/**
 * One epoch of the PyTorch peer with 2 threads, and its peak memory (ru_maxrss, KiB on Linux).
 * Batch 32 runs the script as it is; for 128 the script's batch literal is replaced in memory,
 * since it has no option for it. The file itself is never changed.
 */
function peerRun(python: string, script: string, batch: number) {
  const wrapper = [
    "import sys, resource, json",
    `path = ${JSON.stringify(script)}`,
    "src = open(path).read()",
    `batch = ${batch}`,
    'if batch != 32: src = src.replace("range(0, len(xtr), 32)", "range(0, len(xtr), %d)" % batch).replace("perm[i:i+32]", "perm[i:i+%d]" % batch)',
    'if batch != 32 and "perm[i:i+%d]" % batch not in src: sys.exit("the peer script no longer has the batch literal cnnp replaces")',
    'sys.argv = [path, "2", "1"]',
    'exec(compile(src, path, "exec"), {"__name__": "__main__"})',
    'print(json.dumps({"maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))',
  ].join("\n");
  const out = execFileSync(python, ["-c", wrapper], { encoding: "utf8", timeout: 600_000 });
  const lines = out.trim().split("\n");
  const rss = (JSON.parse(lines.pop() ?? "{}") as { maxrss_kib?: number }).maxrss_kib ?? 0;
  const r = JSON.parse(lines.pop() ?? "{}") as {
    peer: string;
    samples_per_s: number;
    epoch_s: number;
    test_acc: number;
  };
  return { ...r, rss: rss * 1024 };
}

/**
 * Where the native whole step spends its time, summed over the measured rounds: each phase
 * inside the addon, and what is left outside it (JavaScript, the engine, the call).
 */
function printProfile(profiles: { phases: Record<string, number>; seconds: number }[]): void {
  if (profiles.length === 0) return;
  const total = profiles.reduce((s, p) => s + p.seconds, 0);
  const phases = new Map<string, number>();
  for (const p of profiles)
    for (const [k, v] of Object.entries(p.phases)) phases.set(k, (phases.get(k) ?? 0) + v);
  const inside = [...phases.values()].reduce((a, b) => a + b, 0);
  const pct = (x: number) => `${((100 * x) / total).toFixed(1)}%`;
  const parts = [...phases.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${pct(v)}`);
  console.log(
    `  native whole step, batch 32: time in a step outside the addon's kernels ${pct(total - inside)}; inside: ${parts.join(", ")}`,
  );
}
