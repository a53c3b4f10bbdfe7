/**
 * Search beyond grids: a space of settings, and the samplers that choose its candidates (random,
 * the Tree-structured Parzen Estimator, successive halving's rungs). Pure functions of the space,
 * the finished candidates and the pipeline's seed: the same inputs give the same candidates.
 */
export { halvingEpochs, halvingRungs, type Rung } from "./halving.js";
export { candidatePoint, STARTUP, type Strategy } from "./propose.js";
export {
  type Candidate,
  type Dimension,
  decode,
  encode,
  type Point,
  rangeValue,
  type Space,
  uniformPoint,
  type Value,
} from "./space.js";
export { goodCount, type Observation, tpePoint } from "./tpe.js";
