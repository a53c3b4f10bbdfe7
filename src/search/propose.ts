import { Rng } from "../util/rng.js";
import { type Point, type Space, uniformPoint } from "./space.js";
import { type Observation, tpePoint } from "./tpe.js";

export type Strategy = "random" | "tpe" | "halving";

/** Random candidates TPE starts from before it models anything (Optuna's n_startup_trials). */
export const STARTUP = 10;

/** The stream of candidate k: apart from every job's streams, and from the other candidates'. */
const stream = (k: number) => 1000 + k;

/**
 * Candidate k's point: uniform for random search, halving and TPE's first STARTUP candidates;
 * else TPE's proposal from `observations` (the finished candidates it may use). Draws come from
 * candidate k's own stream of the pipeline's seed, so the same observations give the same point.
 */
export function candidatePoint(
  space: Space,
  strategy: Strategy,
  k: number,
  observations: Observation[],
  seed: number,
): Point {
  const rng = new Rng(seed, stream(k));
  const next = () => rng.next();
  if (strategy !== "tpe" || k < STARTUP || observations.length < 2) return uniformPoint(space, next);
  return tpePoint(space, observations, next);
}
