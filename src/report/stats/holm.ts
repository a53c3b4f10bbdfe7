/**
 * Holm's step-down adjustment of p-values for several tests at once (here: every configuration
 * against one baseline): the i-th smallest p is multiplied by (m - i + 1), and the adjusted values
 * are kept non-decreasing. Nulls (no test) stay null and do not count.
 */
export function holm(ps: (number | null)[]): (number | null)[] {
  const tested = ps.flatMap((p, i) => (p === null ? [] : [{ p, i }])).sort((a, b) => a.p - b.p);
  const m = tested.length;
  const out: (number | null)[] = ps.map(() => null);
  let running = 0;
  tested.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}
