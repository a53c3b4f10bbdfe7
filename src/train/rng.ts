export { Rng } from "../util/rng.js";

/** Named streams of one job's seed. */
export const streams = { init: 0, shuffle: 1, dropout: 2, augment: 3 } as const;
