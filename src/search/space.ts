/**
 * A search's space: each searched setting a range (sampled uniformly, or on a log scale) or a
 * list of values (categorical). Samplers work in unit coordinates, [0, 1] for a range and an index
 * for a list; `decode` turns a point into the settings' values (whole numbers for integer ones).
 */

export type Value = number | string | boolean;

export type Dimension =
  | { name: string; kind: "range"; lo: number; hi: number; log: boolean; integer: boolean }
  | { name: string; kind: "list"; values: Value[] };

export type Space = Dimension[];

/** A point of the space in unit coordinates: a number in [0, 1] per range, an index per list. */
export type Point = number[];

/** A candidate: the searched settings' values, by name. */
export type Candidate = Record<string, Value>;

const clamp01 = (u: number) => Math.min(1, Math.max(0, u));

/** The value of a range at unit coordinate u. */
export function rangeValue(d: Extract<Dimension, { kind: "range" }>, u: number): number {
  const t = clamp01(u);
  const v = d.log
    ? Math.exp(Math.log(d.lo) + t * (Math.log(d.hi) - Math.log(d.lo)))
    : d.lo + t * (d.hi - d.lo);
  if (d.integer) return Math.min(d.hi, Math.max(d.lo, Math.round(v)));
  // Four significant digits: finer than any training run can tell apart, and readable in tables.
  return Number(v.toPrecision(4));
}

/** The unit coordinate of a range's value. */
export function rangeUnit(d: Extract<Dimension, { kind: "range" }>, v: number): number {
  if (d.hi === d.lo) return 0.5;
  return clamp01(
    d.log ? (Math.log(v) - Math.log(d.lo)) / (Math.log(d.hi) - Math.log(d.lo)) : (v - d.lo) / (d.hi - d.lo),
  );
}

export function decode(space: Space, point: Point): Candidate {
  const c: Candidate = {};
  space.forEach((d, i) => {
    const u = point[i] as number;
    c[d.name] = d.kind === "range" ? rangeValue(d, u) : (d.values[u] as Value);
  });
  return c;
}

/** A candidate's point; the unit coordinate of its decoded value, so integers land where they sample. */
export function encode(space: Space, c: Candidate): Point {
  return space.map((d) =>
    d.kind === "range"
      ? rangeUnit(d, c[d.name] as number)
      : Math.max(0, d.values.indexOf(c[d.name] as Value)),
  );
}

/** A uniformly random point. */
export function uniformPoint(space: Space, next: () => number): Point {
  return space.map((d) => (d.kind === "range" ? next() : Math.floor(next() * d.values.length)));
}
