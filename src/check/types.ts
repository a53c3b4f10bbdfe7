import type { Span } from "../diagnostics/diagnostic.js";
import type { AnswerUse } from "../dsl/ast.js";

export const activations = [
  "relu",
  "relu6",
  "elu",
  "selu",
  "sigmoid",
  "tanh",
  "softmax",
  "softplus",
  "softsign",
  "swish",
  "linear",
] as const;
export type Activation = (typeof activations)[number];
export type Padding = "valid" | "same";

/** One layer of a concrete model, in Keras' terms. */
export type LayerSpec =
  | {
      type: "conv2d";
      filters: number;
      kernel: [number, number];
      strides: [number, number];
      padding: Padding;
      activation: Activation;
    }
  | { type: "maxpool2d"; pool: [number, number]; strides: [number, number]; padding: Padding }
  | { type: "avgpool2d"; pool: [number, number]; strides: [number, number]; padding: Padding }
  /** Global average pooling: one value per channel. */
  | { type: "globalpool" }
  /** Keras' BatchNormalization over the last axis: gamma, beta, moving mean and variance. */
  | { type: "batchnorm"; momentum: number; epsilon: number }
  /** Random horizontal flips and shifts of up to `shift` pixels of the input, in training only. */
  | { type: "augment"; flip: boolean; shift: number }
  | { type: "flatten" }
  | { type: "dense"; units: number; activation: Activation }
  | { type: "dropout"; rate: number };

/** A concrete model: what the training engine builds. */
export interface ModelSpec {
  /** How the pipeline names it, e.g. `main mask 1-0-1-1 maps 16`. */
  name: string;
  /** Height, width, channels of one input image. */
  input: [number, number, number];
  /** Number of classes of the data set (units of the output layer). */
  classes: number;
  layers: LayerSpec[];
}

export const saveWeightsValues = ["on", "off", "first"] as const;
export type SaveWeights = (typeof saveWeightsValues)[number];

export const optimizers = ["sgd", "adam", "rmsprop"] as const;
export type Optimizer = (typeof optimizers)[number];
/** Keras' default learning rate for each optimizer. */
export const defaultLearningRate: Record<Optimizer, number> = { sgd: 0.01, adam: 0.001, rmsprop: 0.001 };

export const backends = ["auto", "wasm", "cpu", "native", "tensorflow", "tensorflow-gpu"] as const;
export type Backend = (typeof backends)[number];

export const monitors = ["loss", "val_loss", "accuracy", "val_accuracy"] as const;
export type Monitor = (typeof monitors)[number];

export interface EarlyStopping {
  monitor: Monitor;
  patience: number;
  minDelta: number;
}

/** How to train: Keras' `compile` and `fit` arguments. */
export interface TrainingSpec {
  epochs: number;
  batchSize: number;
  optimizer: Optimizer;
  learningRate: number;
  /** SGD momentum (0 = plain SGD, Keras' default). */
  momentum: number;
  shuffle: boolean;
  /** Keep each job's trained weights (TensorFlow.js layers format) beside its result: all, none, or the first repeat's. */
  saveWeights: SaveWeights;
  /** Fraction of the training slice held out, taken from its end before shuffling, as Keras does. */
  validationSplit: number;
  earlyStopping: EarlyStopping | null;
  /** Evaluate on the test set every N epochs (0: only at the epochs the plan asks for). */
  evaluateEvery: number;
}

export const datasets = ["fashion_mnist", "mnist", "kmnist", "cifar10", "folder"] as const;
export type DatasetName = (typeof datasets)[number];

/**
 * Which data, and how many images of each split (the first N). A folder of images adds where it
 * is and how its images are read; the named sets have nothing more (their job ids stay as they were).
 */
export interface DataSpec {
  name: DatasetName;
  train: number;
  test: number;
  /** `data folder "path"`: the folder as written, and as resolved from the pipeline's folder. */
  folder?: {
    path: string;
    resolved: string;
    /** Height and width the images are resized to (0 until the checker has read the folder). */
    size: [number, number];
    /** 1 (greyscale) or 3 (colour); 0 until the checker has read the folder. */
    channels: 0 | 1 | 3;
    /** The fraction held out for testing. */
    split: number;
    /** The subfolders' names, sorted: label i is classes[i]. */
    classes: string[];
  };
}

/** A value a sweep can take, as the report shows it. */
export type SweepValue = number | string | boolean;

/** One row of an experiment: a model and its training settings. */
export interface Configuration {
  /** 0-based position in the experiment. */
  index: number;
  /** `maps 16, epochs 5`, or `baseline` when nothing is swept. */
  label: string;
  /** The swept names and their values for this row, in sweep order. */
  values: Record<string, SweepValue>;
  model: ModelSpec;
  training: TrainingSpec;
  data: DataSpec;
  backend: Backend;
  /** Seed of the first repeat; repeat r uses seed + r. */
  seed: number;
  /** The values that are other experiments' answers (`epochs from "6.2"`), usually none. */
  uses: { name: string; value: SweepValue; from: AnswerUse }[];
  /** One of them has no answer yet: its value is a stand-in, and the configuration is not trained. */
  waiting: boolean;
}

export const metrics = [
  "test.loss",
  "test.accuracy",
  "train.loss",
  "train.accuracy",
  "val.loss",
  "val.accuracy",
  "time.total",
  "time.per_sample",
  "time.per_epoch",
  "stopped_epoch",
] as const;
export type Metric = (typeof metrics)[number];

/** Whether a larger value of a metric is better. */
export function higherIsBetter(metric: Metric): boolean {
  return metric.endsWith("accuracy");
}

/** A question the report answers: `find min maps where test.accuracy >= 0.80`. */
export type Question =
  | {
      kind: "threshold";
      mode: "min" | "max";
      target: string;
      metric: Metric;
      op: ">=" | ">" | "<=" | "<" | "==" | "!=";
      value: number;
      text: string;
    }
  | { kind: "best"; target: string; metric: Metric; higherIsBetter: boolean; text: string };

/** A published figure the report checks the results against: `expect test.accuracy 0.8835 for ...`. */
export interface PublishedFigure {
  metric: Metric;
  value: number;
  /** The configuration it is for (its index). */
  configuration: number;
  /** The runs it came from and their standard deviation, when the source gives them. */
  n: number | null;
  sd: number | null;
  /** As written, for the report. */
  text: string;
}

/** A swept axis: one sweep statement (several names when it sweeps tuples). */
export interface Axis {
  names: string[];
  /** Each item's values, one per name. */
  values: SweepValue[][];
  span: Span;
}

export interface CheckedExperiment {
  /** 1-based number in file order. */
  number: number;
  title: string;
  /** URL-safe, unique in the file. */
  slug: string;
  span: Span;
  axes: Axis[];
  /** What is held fixed, as `name: shown value`, in a stable order. */
  fixed: Record<string, string>;
  configurations: Configuration[];
  repeat: number;
  questions: Question[];
  notes: string[];
  /** Index of the configuration the others are compared to. */
  baseline: number;
  /** Published figures to reproduce. */
  figures: PublishedFigure[];
}

/** The checker's output: everything the planner needs, with no syntax left in it. */
export interface CheckedPipeline {
  file: string;
  source: string;
  experiments: CheckedExperiment[];
  /** Which experiments use which others' answers. */
  dependencies: Dependency[];
}

/** A question's answer, as the report computed it from finished results. */
export interface Answer {
  /** Null while there is none (no results yet, or no value tried meets the condition). */
  value: SweepValue | null;
  /** How it was reached (`the best epoch by val.loss, mean of 5 runs`), or why there is none. */
  detail: string;
}

/** Known answers: experiment title, then the question's target (`epoch`, `maps`, ...). */
export type Answers = Map<string, Map<string, Answer>>;

/** Experiment `from` uses the answer of experiment `to` (titles). */
export interface Dependency {
  from: string;
  to: string;
  /** The setting or swept name the answer is for. */
  name: string;
  /** The question, as written: `find best epoch by val.loss`. */
  question: string;
  /** The question's target. */
  target: string;
  span: Span;
}
