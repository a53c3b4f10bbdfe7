/**
 * Parzen estimators on [0, 1], as the Tree-structured Parzen Estimator builds them (Bergstra et
 * al. 2011; Optuna's defaults): a truncated Gaussian at each observation plus a broad prior at the
 * centre, each with the distance to its farther neighbour as its width, clipped.
 */

const SQRT2 = Math.SQRT2;

/** The standard normal's distribution function, by the Abramowitz-Stegun erf (error under 1.5e-7). */
function phi(z: number): number {
  const x = Math.abs(z) / SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

export class Parzen {
  readonly mus: number[];
  readonly sigmas: number[];
  private readonly masses: number[];

  constructor(points: number[]) {
    const mus = [...points, 0.5];
    const order = mus.map((_, i) => i).sort((a, b) => (mus[a] as number) - (mus[b] as number));
    const sorted = order.map((i) => mus[i] as number);
    const sigmas = new Array<number>(mus.length);
    const low = 1 / Math.min(100, 1 + mus.length);
    order.forEach((idx, k) => {
      const left = k > 0 ? (sorted[k] as number) - (sorted[k - 1] as number) : (sorted[k] as number);
      const right =
        k < sorted.length - 1 ? (sorted[k + 1] as number) - (sorted[k] as number) : 1 - (sorted[k] as number);
      sigmas[idx] = Math.min(1, Math.max(low, left, right));
    });
    // The prior is broad: a flat guess over the whole range.
    sigmas[mus.length - 1] = 1;
    this.mus = mus;
    this.sigmas = sigmas;
    this.masses = mus.map(
      (m, i) => phi((1 - m) / (sigmas[i] as number)) - phi((0 - m) / (sigmas[i] as number)),
    );
  }

  /** The density at x (the components' truncated normals, equally weighted). */
  density(x: number): number {
    let s = 0;
    this.mus.forEach((m, i) => {
      const sd = this.sigmas[i] as number;
      const z = (x - m) / sd;
      s += Math.exp(-0.5 * z * z) / (sd * Math.sqrt(2 * Math.PI) * (this.masses[i] as number));
    });
    return s / this.mus.length;
  }

  /** A draw: a component at random, then its truncated normal (by rejection, Box-Muller). */
  sample(next: () => number): number {
    const i = Math.min(this.mus.length - 1, Math.floor(next() * this.mus.length));
    const m = this.mus[i] as number;
    const sd = this.sigmas[i] as number;
    for (let tries = 0; tries < 100; tries++) {
      const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
      const x = m + sd * z;
      if (x >= 0 && x <= 1) return x;
    }
    return Math.min(1, Math.max(0, m));
  }
}

/** A categorical estimator: each value's share of the observations, with one pseudo-count spread evenly. */
export class Categorical {
  readonly weights: number[];

  constructor(indices: number[], size: number) {
    const w = new Array<number>(size).fill(1 / size);
    for (const i of indices) w[i] = (w[i] as number) + 1;
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((v) => v / total);
  }

  density(i: number): number {
    return this.weights[i] ?? 0;
  }

  sample(next: () => number): number {
    let u = next();
    for (const [i, w] of this.weights.entries()) {
      u -= w;
      if (u < 0) return i;
    }
    return this.weights.length - 1;
  }
}
