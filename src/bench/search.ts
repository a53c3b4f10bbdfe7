import { candidatePoint, decode, type Observation, type Space } from "../search/index.js";
import { Rng } from "../util/rng.js";

/** Branin (Dixon and Szegö 1978), a standard test of global optimisers: three minima of 0.397887. */
function branin(x: number, y: number): number {
  const a = 1;
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return a * (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * Math.cos(x) + 10;
}
const BRANIN_MIN = 0.397887;

const space: Space = [
  { name: "x", kind: "range", lo: -5, hi: 10, log: false, integer: false },
  { name: "y", kind: "range", lo: 0, hi: 15, log: false, integer: false },
];

/**
 * One search of `n` candidates on Branin with noise (sd `noise`, as repeats of a training run
 * differ), in batches of `batch` (a batch is proposed from the candidates finished before it):
 * the regret of the candidate that looks best by its noisy scores, on the true function.
 */
function search(strategy: "random" | "tpe", n: number, batch: number, noise: number, seed: number): number {
  const noiseRng = new Rng(seed, 7);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - noiseRng.next())) * Math.cos(2 * Math.PI * noiseRng.next());
  const observations: Observation[] = [];
  const truth: number[] = [];
  for (let start = 0; start < n; start += batch) {
    const known = [...observations];
    for (let k = start; k < Math.min(n, start + batch); k++) {
      const point = candidatePoint(space, strategy, k, known, seed);
      const { x, y } = decode(space, point) as { x: number; y: number };
      const f = branin(x, y);
      truth.push(f);
      observations.push({ point, score: f + noise * gauss() });
    }
  }
  const best = observations.reduce(
    (a, o, i) => (o.score < (observations[a] as Observation).score ? i : a),
    0,
  );
  return (truth[best] as number) - BRANIN_MIN;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/**
 * `npm run bench -- search`: random search against TPE on Branin with noise, 40 candidates, over
 * 30 seeds of the search; the median regret of each (the true value of the candidate that looks
 * best, above the minimum), sequential and in batches of 4.
 */
export function benchSearch(): void {
  const seeds = 30;
  const n = 40;
  const noise = 1;
  console.log(
    `\nsearch: random against TPE on Branin with noise (sd ${noise}), ${n} candidates, ${seeds} seeds of the search`,
  );
  for (const batch of [1, 4]) {
    const regrets = (s: "random" | "tpe") =>
      Array.from({ length: seeds }, (_, seed) => search(s, n, batch, noise, seed + 1));
    const r = regrets("random");
    const t = regrets("tpe");
    const wins = t.filter((v, i) => v < (r[i] as number)).length;
    console.log(
      `  batch ${batch}: median regret random ${median(r).toFixed(3)}, TPE ${median(t).toFixed(3)} (${(median(r) / median(t)).toFixed(1)}x lower); TPE lower on ${wins} of ${seeds} seeds`,
    );
  }
}
