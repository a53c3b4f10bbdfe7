/**
 * Every metric, once: how pipelines name it (`find best epoch by val.loss`, `expect ...`), the
 * column the report's tables, CSV and JSON show it in, in the order the tables show them, and how
 * tables and sentences name it, with its unit.
 */
const metricList = [
  { name: "time.total", column: "time.total", label: "training time (s)" },
  { name: "time.per_epoch", column: "time.per_epoch", label: "time per epoch (s)" },
  { name: "time.per_sample", column: "time.per_sample", label: "time per sample (ms)" },
  { name: "test.loss", column: "test.loss", label: "test loss" },
  { name: "test.accuracy", column: "test.accuracy", label: "test accuracy" },
  { name: "train.loss", column: "train.loss", label: "train loss" },
  { name: "train.accuracy", column: "train.accuracy", label: "train accuracy" },
  { name: "val.loss", column: "val.loss", label: "validation loss" },
  { name: "val.accuracy", column: "val.accuracy", label: "validation accuracy" },
  /** The epoch early stopping ended training at; the tables call it epochs trained. */
  { name: "stopped_epoch", column: "epochs_trained", label: "epochs trained" },
] as const;

export const metrics = metricList.map((m) => m.name) as unknown as readonly [Metric, ...Metric[]];
export type Metric = (typeof metricList)[number]["name"];

/** The report's columns, in the order its tables show them. */
export const metricColumns = metricList.map((m) => m.column) as unknown as readonly [
  MetricColumn,
  ...MetricColumn[],
];
export type MetricColumn = (typeof metricList)[number]["column"];

/** How each column is named in tables and sentences (answers and conclusions), and its unit. */
export const metricNames = Object.fromEntries(metricList.map((m) => [m.column, m.label])) as Record<
  MetricColumn,
  string
>;

/** The report's column of a metric (stopped_epoch is shown as epochs_trained). */
export function columnOf(metric: Metric): MetricColumn {
  return (metricList.find((m) => m.name === metric) ?? metricList[0]).column;
}

/** Whether a larger value of a metric is better. */
export function higherIsBetter(metric: Metric): boolean {
  return metric.endsWith("accuracy");
}
