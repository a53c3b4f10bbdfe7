import { Categorical, Parzen } from "./parzen.js";
import type { Point, Space } from "./space.js";

/** A finished candidate: its point and its score, lower better (a metric to maximise is negated). */
export interface Observation {
  point: Point;
  score: number;
}

/** Optuna's split: the best ceil(10%) of the observations, at most 25, are the good ones. */
export const goodCount = (n: number): number => Math.min(Math.ceil(0.1 * n), 25);

/** Candidate draws from the good estimator per proposal, the best by the ratio kept (Optuna: 24). */
const DRAWS = 24;

/**
 * The Tree-structured Parzen Estimator's next point (Bergstra et al. 2011), univariate as
 * Optuna's default sampler is: the observations split into good and bad by score; per dimension an
 * estimator of each; DRAWS points drawn from the good ones, and the one with the largest
 * l(x) / g(x) (the sum over dimensions of the log ratios) returned. `next` is the candidate's own
 * stream, so the same observations give the same point.
 */
export function tpePoint(space: Space, observations: Observation[], next: () => number): Point {
  const sorted = [...observations].sort((a, b) => a.score - b.score);
  const nGood = Math.max(1, goodCount(sorted.length));
  const good = sorted.slice(0, nGood);
  const bad = sorted.slice(nGood);
  const models = space.map((d, j) => {
    const g = good.map((o) => o.point[j] as number);
    const b = bad.map((o) => o.point[j] as number);
    return d.kind === "range"
      ? { l: new Parzen(g), g: new Parzen(b) }
      : { l: new Categorical(g, d.values.length), g: new Categorical(b, d.values.length) };
  });
  let best: Point = [];
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < DRAWS; k++) {
    const point = models.map((m) => m.l.sample(next));
    const score = models.reduce(
      (s, m, j) =>
        s +
        Math.log(m.l.density(point[j] as number) + 1e-300) -
        Math.log(m.g.density(point[j] as number) + 1e-300),
      0,
    );
    if (score > bestScore) {
      bestScore = score;
      best = point;
    }
  }
  return best;
}
