/**
 * The report's statistics: pure functions of numbers, with no I/O. Each test or measure is a file
 * of this folder; a new one is its file and one line here. Every name exported here needs a
 * textbook case in test/report/stats-registry.test.ts.
 */
export { compare } from "./comparison.js";
export { meanHalfWidth, repeatsToExclude } from "./confidence.js";
export { detectable, repeatsToDetect } from "./detectable.js";
export { hedgesG } from "./hedges.js";
export { holm } from "./holm.js";
export { pairedP } from "./paired.js";
export { pooledSd } from "./pooled-sd.js";
export { predictionInterval } from "./prediction.js";
export { summarize } from "./summary.js";
export { varianceP } from "./variance.js";
export { welchFromSummaries, welchP } from "./welch.js";
