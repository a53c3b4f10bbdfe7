import { z } from "zod";
import { type MetricColumn, metricColumns } from "../model/index.js";

/**
 * The report: what `cnnp site` hands the Astro site and `cnnp results --json` prints. It is the
 * site's one input: its content collections parse it with these schemas, so the pages and the CLI
 * read one definition, computed from the plan's results only.
 */

/** A metric over one configuration's repeats. */
export const summary = z.object({
  n: z.number().int().positive(),
  mean: z.number(),
  /** Sample standard deviation; 0 when n = 1. */
  sd: z.number(),
  min: z.number(),
  max: z.number(),
  /** 95% confidence interval of the mean (Student's t), null when n = 1. */
  ci95: z.tuple([z.number(), z.number()]).nullable(),
});

/** A row against the baseline row on one metric: Welch's t-test and Hedges' g. */
export const comparison = z.object({
  /** mean - baseline mean; null when either has no finished runs. */
  difference: z.number().nullable(),
  p: z.number().nullable(),
  effect: z.number().nullable(),
  /**
   * Holm-adjusted p over the experiment's comparisons with its baseline (the p that
   * `significant` goes by); equal to `p` when there is one comparison.
   */
  pAdjusted: z.number().nullable(),
  significant: z.boolean(),
  /** Why there is no test (n = 1), when there is none. */
  untestable: z.string().nullable(),
});

/** The metrics a table can show, in the order it shows them (the one list is src/model/metrics.ts). */
export const metricKeys = metricColumns;
export type MetricKey = MetricColumn;

/** What the models learned, as PNG images (data URIs) rendered from the saved weights at build time. */
export const experimentImages = z.object({
  /** Per configuration with a saved model: its first conv layer's filters and one test image's maps after it. */
  configurations: z.array(
    z.object({
      configuration: z.number().int().nonnegative(),
      label: z.string(),
      filters: z.string(),
      featureMaps: z.string(),
    }),
  ),
  /** Test images the most accurate configuration gets wrong, with the true and the predicted class. */
  misclassified: z
    .object({
      label: z.string(),
      /** How many of the first test images were looked at. */
      examined: z.number().int().positive(),
      items: z.array(
        z.object({ image: z.string(), truth: z.string(), predicted: z.string(), index: z.number().int() }),
      ),
    })
    .nullable(),
});
export type ExperimentImages = z.infer<typeof experimentImages>;

/** A published figure against the runs of its configuration. */
export const figureVerdict = z.object({
  /** The `expect` statement, as written. */
  text: z.string(),
  metric: z.enum(metricKeys),
  value: z.number(),
  /** The configuration's index and label. */
  configuration: z.number().int().nonnegative(),
  label: z.string(),
  /** The published n and sd, when stated. */
  n: z.number().int().positive().nullable(),
  sd: z.number().nonnegative().nullable(),
  /** Our finished runs of the configuration, and their mean. */
  runs: z.number().int().nonnegative(),
  mean: z.number().nullable(),
  /** 95% prediction interval of one run, and 95% confidence interval of the mean (null for n < 2). */
  prediction: z.tuple([z.number(), z.number()]).nullable(),
  interval: z.tuple([z.number(), z.number()]).nullable(),
  /** (figure - mean) / our sd. */
  sds: z.number().nullable(),
  /** Welch's t-test against the published n and sd, when both are stated. */
  p: z.number().nullable(),
  /** Null until it can be judged (two runs or more). */
  reproduced: z.boolean().nullable(),
  /** The verdict in words. */
  verdict: z.string(),
});
export type FigureVerdict = z.infer<typeof figureVerdict>;

/** The answer to one of an experiment's `find` questions. */
export const answer = z.object({
  /** As the checker normalised it: `best epoch by val.loss`. */
  question: z.string(),
  /** In words, with its uncertainty. */
  answer: z.string(),
  /** What the question is about: a swept name, or `epoch`. */
  target: z.string(),
  /** The value other experiments use (`epochs from "..."`); null until every job has finished. */
  value: z.union([z.string(), z.number(), z.boolean()]).nullable(),
  /** How the value was reached, or why there is none. */
  detail: z.string(),
});
export type Answer = z.infer<typeof answer>;

/** A value an experiment takes from another experiment's answer. */
export const use = z.object({
  /** The setting or swept name it is for. */
  name: z.string(),
  /** Null while the answer is not known (the configurations using it wait). */
  value: z.union([z.string(), z.number(), z.boolean()]).nullable(),
  experiment: z.string(),
  question: z.string(),
  /** `epochs 16: the best epoch by val loss, mean of 5 runs, in "6.2 ..."`. */
  text: z.string(),
});
export type Use = z.infer<typeof use>;

export const row = z.object({
  index: z.number().int().nonnegative(),
  /** `maps 16`, or `baseline` when nothing is swept. */
  label: z.string(),
  /** The swept values of this row, by name. */
  values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  baseline: z.boolean(),
  /** Waits for another experiment's answer: nothing is planned for it yet. */
  waiting: z.boolean(),
  /** Repeats planned, finished, failed, and not run (or not valid) yet. */
  planned: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Repeats whose back end did not load on the host that tried them: not failures of training. */
  unavailable: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  /** Distinct error messages of the failed jobs. */
  errors: z.array(z.string()),
  /** Where and why the back end of the unavailable ones did not load: `vm: @tensorflow/tfjs-node is not installed ...`. */
  notAvailable: z.array(z.string()),
  /** Per metric, over the finished repeats; absent metrics (no validation data) are left out. */
  metrics: z.partialRecord(z.enum(metricKeys), summary),
  /** Against the baseline row; null for the baseline itself. */
  vsBaseline: z.object({ "test.accuracy": comparison, "test.loss": comparison }).nullable(),
  backends: z.array(z.string()),
  hosts: z.array(z.string()),
  /** The model's key in the experiment's `models`, and its trainable and other parameters. */
  model: z.string(),
  params: z.number().int().nonnegative(),
  /** Test accuracy on each class's images, by label, over the finished repeats that kept it. */
  perClass: z.array(summary).nullable(),
});

const point = z.object({ loss: z.number(), accuracy: z.number() });

/** Mean learning curve of one configuration: per epoch, over its finished repeats. */
export const curve = z.object({
  label: z.string(),
  epochs: z.array(
    z.object({
      epoch: z.number().int().positive(),
      n: z.number().int().positive(),
      train: point,
      test: point.nullable(),
      val: point.nullable(),
    }),
  ),
});

/**
 * Where the longest mean curve's test loss is lowest, and what it does by the last epoch tested:
 * the repeats' losses at the two epochs, paired, so a rise within their spread is not called over-fitting.
 */
export const lossTurn = z.object({
  label: z.string(),
  /** Epochs at which every repeat that reached them was tested. */
  tested: z.number().int().positive(),
  bestEpoch: z.number().int().positive(),
  lastEpoch: z.number().int().positive(),
  bestLoss: z.number(),
  lastLoss: z.number(),
  trainAtBest: z.number(),
  trainAtLast: z.number(),
  /** Repeats tested at both epochs, and the paired t-test of their losses (null with fewer than 2). */
  n: z.number().int().nonnegative(),
  p: z.number().nullable(),
});

export const chart = z.object({
  /** curves-loss, curves-accuracy, sweep, time-accuracy. */
  kind: z.string(),
  title: z.string(),
  /** What the chart shows, for screen readers and as its caption. */
  description: z.string(),
  /** Static SVG, rendered at build time. */
  svg: z.string(),
});

/** A search's candidates and what it found (see src/report/search.ts). */
export const searchReport = z.object({
  strategy: z.enum(["random", "tpe", "halving"]),
  /** Successive halving's rungs: candidates and the epochs they train at each. */
  rungs: z
    .array(z.object({ candidates: z.number().int().positive(), epochs: z.number().int().positive() }))
    .optional(),
  /** Configurations once every candidate is known (halving: one per candidate and rung). */
  planned: z.number().int().positive(),
  /** Candidates asked for, proposed so far, with a score, and with every repeat finished. */
  count: z.number().int().positive(),
  known: z.number().int().nonnegative(),
  scored: z.number().int().nonnegative(),
  complete: z.number().int().nonnegative(),
  /** The metric it ranks by, and its better direction. */
  metric: z.enum(metricColumns),
  higher: z.boolean(),
  /** Each sampled setting, as written: `log [0.001..0.3]`. */
  space: z.array(z.object({ name: z.string(), text: z.string(), log: z.boolean(), list: z.boolean() })),
  /** Best first; those without a score yet last. `order` is the candidate's place in the search (1 = first). */
  candidates: z.array(
    z.object({
      row: z.number().int().nonnegative(),
      order: z.number().int().positive(),
      /** Drawn at random, or proposed by TPE from the candidates before it. */
      phase: z.enum(["random", "proposed"]),
      label: z.string(),
      values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
      metric: summary.nullable(),
      /** Repeats that failed: such a candidate is not ranked (nor scored by TPE). */
      failed: z.number().int().nonnegative(),
      rank: z.number().int().positive().nullable(),
    }),
  ),
  /** In the order tried: each scored candidate's mean and the best mean up to it. */
  bestSoFar: z.array(z.object({ order: z.number().int().positive(), mean: z.number(), best: z.number() })),
  /** The best candidate's row. */
  winner: z.number().int().nonnegative().nullable(),
  /**
   * The winner against the runner-up (Welch's t-test; Holm-adjusted over the winner's comparisons
   * with every other scored candidate), how many of those it beats beyond the noise, the pooled
   * run-to-run sd and the smallest difference the repeats detect at it (80% power).
   */
  vsRunnerUp: z
    .object({
      row: z.number().int().nonnegative(),
      difference: z.number().nullable(),
      p: z.number().nullable(),
      pAdjusted: z.number().nullable(),
      significant: z.boolean(),
      untestable: z.string().nullable(),
      comparisons: z.number().int().nonnegative(),
      beaten: z.number().int().nonnegative(),
      sd: z.number().nullable(),
      detectable: z.number().nullable(),
    })
    .nullable(),
});
export type SearchReport = z.infer<typeof searchReport>;

export const experimentKinds = [
  "repeatability",
  "sweep",
  "ablation",
  "epochs",
  "early-stopping",
  "platforms",
  "search",
] as const;

export const experimentReport = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  slug: z.string(),
  kind: z.enum(experimentKinds),
  /** The pipeline lines that define the experiment, and the line they start at. */
  definition: z.string(),
  line: z.number().int().positive(),
  varied: z.array(z.object({ name: z.string(), values: z.array(z.string()) })),
  fixed: z.record(z.string(), z.string()),
  repeat: z.number().int().positive(),
  /** Columns shown, in order. */
  columns: z.array(z.enum(metricKeys)),
  rows: z.array(row),
  curves: z.array(curve),
  lossTurn: lossTurn.nullable(),
  answers: z.array(answer),
  /** The data set's class names, by label. */
  classNames: z.array(z.string()),
  /** Filters, feature maps and misclassified images: only in the site's report (`cnnp site`). */
  images: experimentImages,
  /** Published figures stated by the pipeline, each with its verdict, and their tally. */
  figures: z.array(figureVerdict),
  figuresSummary: z.string().nullable(),
  /** Each distinct model the experiment uses, with its Keras-style summary. */
  models: z.array(
    z.object({ key: z.string(), name: z.string(), summary: z.string(), totalParams: z.number().int() }),
  ),
  /**
   * Mean confusion matrices over the repeats (`matrix[t][p]`: test images of true class t taken
   * for class p): the baseline's and the most accurate configuration's (one when they are the same).
   */
  confusion: z.array(
    z.object({
      label: z.string(),
      /** Why it is shown: `baseline`, `most accurate`, or both. */
      roles: z.array(z.string()),
      n: z.number().int().positive(),
      matrix: z.array(z.array(z.number())),
    }),
  ),
  /** The values this experiment takes from other experiments' answers. */
  uses: z.array(use),
  /** With a `search`: its candidates, best first, and what it found. */
  search: searchReport.nullable(),
  /** Sentences written by the experiment's template from the statistics. */
  conclusion: z.string(),
  /** Its first sentence, for the index. */
  headline: z.string(),
  /** The conclusion's other sentences, one point each, for a list under the headline. */
  details: z.array(z.string()),
  /** The pipeline's `note` blocks, rendered with the same data. */
  notes: z.array(z.string()),
  charts: z.array(chart),
  status: z.object({
    jobs: z.number().int(),
    ok: z.number().int(),
    failed: z.number().int(),
    unavailable: z.number().int(),
    missing: z.number().int(),
    /** Jobs not planned yet: their configurations wait for another experiment's answer. */
    waiting: z.number().int(),
  }),
});

const counted = { jobs: z.number().int().nonnegative() };

export const environment = z.object({
  /** The pipeline's data set, as the report names it. */
  dataset: z.string(),
  hosts: z.array(
    z.object({
      hostname: z.string(),
      cpu: z.string(),
      cores: z.number(),
      memoryGiB: z.number(),
      os: z.string(),
      node: z.string(),
      cnnp: z.string(),
      gpus: z.array(z.string()),
      ...counted,
    }),
  ),
  backends: z.array(
    z.object({
      name: z.string(),
      tfjsBackend: z.string(),
      versions: z.record(z.string(), z.string()),
      detail: z.string(),
      ...counted,
    }),
  ),
  data: z.array(z.object({ dir: z.string(), checksum: z.string(), official: z.boolean(), ...counted })),
  sources: z.array(
    z.object({ file: z.string(), commit: z.string().nullable(), dirty: z.boolean(), ...counted }),
  ),
  /** Finished jobs per host (its name) and back end. */
  byHostAndBackend: z.array(z.object({ host: z.string(), backend: z.string(), ...counted })),
});

export const study = z.object({
  /** The pipeline file. */
  file: z.string(),
  title: z.string(),
  generatedAt: z.string(),
  status: z.object({
    jobs: z.number().int(),
    ok: z.number().int(),
    failed: z.number().int(),
    unavailable: z.number().int(),
    missing: z.number().int(),
    /** Jobs not planned yet, waiting for other experiments' answers. */
    waiting: z.number().int(),
  }),
  experiments: z.array(experimentReport),
  environment,
});

export type Summary = z.infer<typeof summary>;
export type Comparison = z.infer<typeof comparison>;
export type Row = z.infer<typeof row>;
export type Curve = z.infer<typeof curve>;
export type LossTurn = z.infer<typeof lossTurn>;
export type Chart = z.infer<typeof chart>;
export type ExperimentKind = (typeof experimentKinds)[number];
export type ExperimentReport = z.infer<typeof experimentReport>;
export type Environment = z.infer<typeof environment>;
export type Study = z.infer<typeof study>;

/** An experiment's report before its conclusion and charts are written (what they are written from). */
export type ExperimentDraft = Omit<
  ExperimentReport,
  "charts" | "conclusion" | "headline" | "details" | "notes"
>;
