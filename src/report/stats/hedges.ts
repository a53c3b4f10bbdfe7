/** The n, mean and sd of one group of runs. */
interface Group {
  n: number;
  mean: number;
  sd: number;
}

/**
 * Hedges' g of `a` against `b`: the difference of the means over the pooled sd, times the
 * small-sample correction 1 - 3 / (4 (n_a + n_b) - 9). Null when the pooled sd is 0.
 */
export function hedgesG(a: Group, b: Group): number | null {
  const pooled = Math.sqrt(((a.n - 1) * a.sd ** 2 + (b.n - 1) * b.sd ** 2) / (a.n + b.n - 2));
  const correction = 1 - 3 / (4 * (a.n + b.n) - 9);
  return pooled > 0 ? ((a.mean - b.mean) / pooled) * correction : null;
}
