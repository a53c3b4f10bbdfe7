/**
 * The specs every stage shares: a model and its layers, how it trains, its data, the one list of
 * metrics, and the checked experiments the planner, runner and report read.
 */
export type { LayerDraft, LayerSpec, LayerType } from "../layers/index.js";
export * from "../layers/types.js";
export * from "./backends.js";
export * from "./data.js";
export * from "./datasets.js";
export * from "./experiment.js";
export * from "./metrics.js";
export * from "./model.js";
export * from "./training.js";
