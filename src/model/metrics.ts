/**
 * Every metric, once: how pipelines name it (`find best epoch by val.loss`, `expect ...`) and the
 * column the report's tables, CSV and JSON show it in, in the order the tables show them.
 */
const metricList = [
  { name: "time.total", column: "time.total" },
  { name: "time.per_epoch", column: "time.per_epoch" },
  { name: "time.per_sample", column: "time.per_sample" },
  { name: "test.loss", column: "test.loss" },
  { name: "test.accuracy", column: "test.accuracy" },
  { name: "train.loss", column: "train.loss" },
  { name: "train.accuracy", column: "train.accuracy" },
  { name: "val.loss", column: "val.loss" },
  { name: "val.accuracy", column: "val.accuracy" },
  /** The epoch early stopping ended training at; the tables call it epochs trained. */
  { name: "stopped_epoch", column: "epochs_trained" },
] as const;

export const metrics = metricList.map((m) => m.name) as unknown as readonly [Metric, ...Metric[]];
export type Metric = (typeof metricList)[number]["name"];

/** The report's columns, in the order its tables show them. */
export const metricColumns = metricList.map((m) => m.column) as unknown as readonly [
  MetricColumn,
  ...MetricColumn[],
];
export type MetricColumn = (typeof metricList)[number]["column"];

/** The report's column of a metric (stopped_epoch is shown as epochs_trained). */
export function columnOf(metric: Metric): MetricColumn {
  return (metricList.find((m) => m.name === metric) ?? metricList[0]).column;
}

/** Whether a larger value of a metric is better. */
export function higherIsBetter(metric: Metric): boolean {
  return metric.endsWith("accuracy");
}
