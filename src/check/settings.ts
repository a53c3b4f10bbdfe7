import { bounds } from "../bounds.js";
import { type Diagnostic, error, type Span } from "../diagnostics/diagnostic.js";
import { type Value, valueText } from "../dsl/ast.js";
import { namedSets } from "../model/datasets.js";
import {
  type Backend,
  backends,
  type DataSpec,
  type DatasetName,
  datasets,
  type EarlyStopping,
  type Monitor,
  monitors,
  type Optimizer,
  optimizers,
  type SaveWeights,
  saveWeightsValues,
} from "../model/index.js";
import { grouped } from "../util/grouped.js";
import { didYouMean } from "../util/suggest.js";

/** Every setting a pipeline can state, with its value once read. */
export interface Settings {
  epochs: number;
  batch: number;
  optimizer: Optimizer;
  /** Undefined: the optimizer's Keras default. */
  learning_rate: number | undefined;
  momentum: number;
  shuffle: boolean;
  save_weights: SaveWeights;
  validation_split: number;
  early_stopping: EarlyStopping | null;
  seed: number;
  repeat: number;
  backend: Backend;
  data: DataSpec;
  mask: string | undefined;
  maps: number | undefined;
  dropout: number | undefined;
  evaluate_every: number;
  baseline: { name: string; value: Value }[] | undefined;
}

export type SettingName = keyof Settings;

/** Keras' defaults, and cnnp's where Keras has none (seed 1, so results can be cached and reproduced). */
export const defaults: Settings = {
  epochs: 5,
  batch: 32,
  optimizer: "sgd",
  learning_rate: undefined,
  momentum: 0,
  shuffle: true,
  save_weights: "on",
  validation_split: 0,
  early_stopping: null,
  seed: 1,
  repeat: 1,
  backend: "auto",
  data: { name: "fashion_mnist", train: 60000, test: 10000 },
  mask: undefined,
  maps: undefined,
  dropout: undefined,
  evaluate_every: 0,
  baseline: undefined,
};

type Read<T> = T | Diagnostic;

export function isDiagnostic(x: unknown): x is Diagnostic {
  return typeof x === "object" && x !== null && "code" in x && "severity" in x;
}

const shown = valueText;

function onOrOff(v: Value, name: string): Read<boolean> {
  const b = v.kind === "word" ? onOff[v.value] : undefined;
  return (
    b ?? error("E103", v.span, `${name} is on or off, not '${shown(v)}'`, didYouMean(shown(v), ["on", "off"]))
  );
}

export { grouped };

/** The smallest and largest values a setting takes (see bounds.ts). */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Past its largest value, a number is out of range with a hint that gives the range. */
function tooLarge(v: Extract<Value, { kind: "number" }>, range: Range, what: string, hint?: string) {
  return error(
    "E104",
    v.span,
    `${what} must be at most ${grouped(range.max)}, not ${v.raw}`,
    hint ?? `Use a whole number from ${grouped(range.min)} to ${grouped(range.max)}.`,
  );
}

/**
 * A whole number in `range` (a bare number is the smallest value, and the largest is then the
 * largest safe integer), or a diagnostic at the value.
 */
export function wholeNumber(v: Value, range: number | Range, what: string, hint?: string): Read<number> {
  const r = typeof range === "number" ? { min: range, max: Number.MAX_SAFE_INTEGER } : range;
  if (v.kind !== "number") return error("E103", v.span, `${what} must be a whole number, not '${shown(v)}'`);
  if (v.value > r.max) return tooLarge(v, r, what, hint);
  if (!Number.isInteger(v.value))
    return error("E103", v.span, `${what} must be a whole number, not ${v.raw}`);
  if (v.value < r.min) return error("E104", v.span, `${what} must be at least ${r.min}, not ${v.raw}`);
  return v.value;
}

/** A number that is finite (`1e999` is not), or a diagnostic at it. */
export function finite(v: Extract<Value, { kind: "number" }>, what: string): Diagnostic | undefined {
  return Number.isFinite(v.value)
    ? undefined
    : error(
        "E104",
        v.span,
        `${what} ${v.raw} is too large to be a number`,
        "Write a number of ordinary size.",
      );
}

function fraction(v: Value, what: string, lowOpen = false): Read<number> {
  if (v.kind !== "number") return error("E103", v.span, `${what} must be a number, not '${shown(v)}'`);
  const ok = lowOpen ? v.value > 0 && v.value < 1 : v.value >= 0 && v.value < 1;
  if (!ok) return error("E104", v.span, `${what} ${v.raw} is outside ${lowOpen ? "(0, 1)" : "[0, 1)"}`);
  return v.value;
}

function oneOf<T extends string>(v: Value, options: readonly T[], what: string): Read<T> {
  if (v.kind === "word" && (options as readonly string[]).includes(v.value)) return v.value as T;
  return error("E103", v.span, `unknown ${what} '${shown(v)}'`, didYouMean(shown(v), options));
}

const onOff: Record<string, boolean> = {
  on: true,
  off: false,
  true: true,
  false: false,
  yes: true,
  no: false,
};

/** Readers of one value, for settings that take one and for sweeps. */
export const scalarReaders = {
  epochs: (v: Value) =>
    wholeNumber(v, bounds.epochs, "epochs", `Train for 1 to ${grouped(bounds.epochs.max)} epochs.`),
  batch: (v: Value) =>
    wholeNumber(v, bounds.batch, "batch size", `Use a batch of 1 to ${grouped(bounds.batch.max)} images.`),
  optimizer: (v: Value) => oneOf(v, optimizers, "optimizer"),
  learning_rate: (v: Value): Read<number> => {
    if (v.kind !== "number")
      return error("E103", v.span, `learning rate must be a number, not '${shown(v)}'`);
    if (!(v.value > 0)) return error("E104", v.span, `learning rate must be above 0, not ${v.raw}`);
    if (!(v.value <= bounds.learningRate.max))
      return error(
        "E104",
        v.span,
        `learning rate must be at most ${grouped(bounds.learningRate.max)}, not ${v.raw}`,
        "Use a learning rate above 0; Keras' defaults are 0.01 (sgd) and 0.001 (adam, rmsprop).",
      );
    return v.value;
  },
  momentum: (v: Value) => fraction(v, "momentum"),
  shuffle: (v: Value) => onOrOff(v, "shuffle"),
  save_weights: (v: Value): Read<SaveWeights> => {
    const w = v.kind === "word" ? saveWeightsValues.find((x) => x === v.value) : undefined;
    return (
      w ??
      error(
        "E103",
        v.span,
        `save_weights is on, off or first (the first repeat's only), not '${shown(v)}'`,
        didYouMean(shown(v), [...saveWeightsValues]),
      )
    );
  },
  validation_split: (v: Value) => fraction(v, "validation split"),
  seed: (v: Value) =>
    wholeNumber(
      v,
      bounds.seed,
      "seed",
      `Use a seed from 0 to ${grouped(bounds.seed.max)} (seeds are 32-bit; repeat r uses seed + r).`,
    ),
  repeat: (v: Value) =>
    wholeNumber(
      v,
      bounds.repeat,
      "repeat count",
      `Repeat each configuration 1 to ${grouped(bounds.repeat.max)} times.`,
    ),
  backend: (v: Value) => oneOf(v, backends, "back end"),
  mask: (v: Value): Read<string> => {
    if (v.kind !== "mask") return error("E103", v.span, `a mask looks like 1-0-1-1, not '${shown(v)}'`);
    if (!/^[01](-[01])*$/.test(v.value))
      return error("E110", v.span, `mask ${v.value} has digits other than 0 and 1`);
    return v.value;
  },
  maps: (v: Value) =>
    wholeNumber(
      v,
      bounds.maps,
      "feature maps",
      `Give a conv layer 1 to ${grouped(bounds.maps.max)} feature maps.`,
    ),
  dropout: (v: Value) => fraction(v, "dropout rate"),
  evaluate_every: (v: Value) =>
    wholeNumber(
      v,
      bounds.evaluateEvery,
      "evaluate_every",
      `Evaluate every 1 to ${grouped(bounds.evaluateEvery.max)} epochs, or 0 for only the epochs asked for.`,
    ),
} satisfies Partial<Record<SettingName, (v: Value) => unknown>>;

/** What a sweep can vary: one-value settings, and the model itself. */
export const sweepable = [
  "model",
  "mask",
  "maps",
  "epochs",
  "dropout",
  "batch",
  "learning_rate",
  "momentum",
  "optimizer",
  "backend",
  "shuffle",
  "validation_split",
] as const;
export type SweepName = (typeof sweepable)[number];

function readPairs(args: Value[], keys: readonly string[], nameSpan: Span): Read<Map<string, Value>> {
  const out = new Map<string, Value>();
  for (let i = 0; i < args.length; i += 2) {
    const k = args[i];
    const v = args[i + 1];
    if (!k) break;
    if (k.kind !== "word" || !keys.includes(k.value)) {
      return error("E103", k.span, `unexpected '${shown(k)}'`, didYouMean(shown(k), keys));
    }
    if (!v) return error("E103", k.span, `'${k.value}' needs a value after it`);
    if (out.has(k.value)) return error("E108", k.span, `'${k.value}' is given twice`);
    out.set(k.value, v);
  }
  if (args.length === 0 && keys.length === 0) return error("E103", nameSpan, "missing value");
  return out;
}

function readEarlyStopping(args: Value[], nameSpan: Span): Read<EarlyStopping | null> {
  const first = args[0];
  if (first?.kind === "word" && (first.value === "off" || first.value === "no" || first.value === "false")) {
    const extra = args[1];
    return extra ? error("E103", extra.span, "nothing may follow 'off'") : null;
  }
  const rest =
    first?.kind === "word" && (first.value === "on" || first.value === "yes" || first.value === "true")
      ? args.slice(1)
      : args;
  const pairs = readPairs(rest, ["monitor", "patience", "min_delta"], nameSpan);
  if (isDiagnostic(pairs)) return pairs;
  const es: EarlyStopping = { monitor: "val_loss", patience: 0, minDelta: 0 };
  const monitor = pairs.get("monitor");
  if (monitor) {
    const m = oneOf<Monitor>(monitor, monitors, "monitored metric");
    if (isDiagnostic(m)) return m;
    es.monitor = m;
  }
  const patience = pairs.get("patience");
  if (patience) {
    const p = wholeNumber(patience, bounds.patience, "patience");
    if (isDiagnostic(p)) return p;
    es.patience = p;
  }
  const delta = pairs.get("min_delta");
  if (delta) {
    if (delta.kind !== "number" || !(delta.value >= 0) || !Number.isFinite(delta.value))
      return error("E104", delta.span, "min_delta is a number of at least 0");
    es.minDelta = delta.value;
  }
  return es;
}

/**
 * `data NAME [train N] [test N]`, or `data folder "path" [size N] [channels 1|3] [split F] [train N]
 * [test N]`. A folder's images are counted and measured later (check/data.ts), where the pipeline's
 * own folder is known; here only what is written is read.
 */
function readData(args: Value[], nameSpan: Span): Read<DataSpec> {
  const first = args[0];
  if (!first)
    return error(
      "E103",
      nameSpan,
      "data needs a data set name",
      `Write e.g. 'data fashion_mnist train 2000 test 1000' or 'data folder "images/"'.`,
    );
  const name = oneOf<DatasetName>(first, datasets, "data set");
  if (isDiagnostic(name)) return name;
  const folder = name === "folder";
  const path = folder ? args[1] : undefined;
  if (folder && path?.kind !== "string")
    return error(
      "E103",
      path?.span ?? first.span,
      "data folder needs the folder's path in quotes",
      `Write e.g. 'data folder "images/"' (relative to the pipeline's folder).`,
    );
  const keys = folder ? ["train", "test", "size", "channels", "split"] : ["train", "test"];
  const pairs = readPairs(args.slice(folder ? 2 : 1), keys, nameSpan);
  if (isDiagnostic(pairs)) return pairs;
  const spec: DataSpec =
    name === "folder"
      ? { name, train: 0, test: 0 }
      : { name, train: namedSets[name].train, test: namedSets[name].test };
  for (const split of ["train", "test"] as const) {
    const v = pairs.get(split);
    if (!v) continue;
    const n = wholeNumber(v, { min: 1, max: bounds.images }, `${split} size`);
    if (isDiagnostic(n)) return n;
    if (name !== "folder" && n > namedSets[name][split])
      return error("E104", v.span, `${name} has ${namedSets[name][split]} ${split} images, not ${n}`);
    spec[split] = n;
  }
  if (path?.kind === "string") {
    const size = pairs.get("size");
    const side = size
      ? wholeNumber(
          size,
          { min: 1, max: bounds.imageSide },
          "image size",
          `Give a side of 1 to ${grouped(bounds.imageSide)} pixels: images are resized to it.`,
        )
      : 0;
    if (isDiagnostic(side)) return side;
    const channels = pairs.get("channels");
    const c = channels
      ? wholeNumber(channels, { min: 1, max: 3 }, "channels", "channels is 1 (greyscale) or 3 (colour).")
      : 0;
    if (isDiagnostic(c)) return c;
    if (channels && c !== 1 && c !== 3)
      return error("E104", channels.span, `channels is 1 (greyscale) or 3 (colour), not ${c}`);
    const splitValue = pairs.get("split");
    const held = splitValue ? fraction(splitValue, "test split", true) : 0.2;
    if (isDiagnostic(held)) return held;
    spec.folder = {
      path: path.value,
      resolved: "",
      size: [side, side],
      channels: c as 0 | 1 | 3,
      split: held,
      classes: [],
    };
  }
  return spec;
}

function readBaseline(args: Value[], nameSpan: Span): Read<Settings["baseline"]> {
  if (args.length === 0 || args.length % 2 !== 0) {
    return error(
      "E103",
      nameSpan,
      "baseline takes pairs of a swept name and its value",
      "Write e.g. 'baseline maps 32'.",
    );
  }
  const out: { name: string; value: Value }[] = [];
  for (let i = 0; i < args.length; i += 2) {
    const k = args[i];
    const v = args[i + 1];
    if (!k || !v) break;
    if (k.kind !== "word") return error("E103", k.span, `expected a swept name, not '${shown(k)}'`);
    out.push({ name: k.value, value: v });
  }
  return out;
}

/**
 * Reads one setting statement's arguments into its value, or a diagnostic at the place at fault.
 * The caller has already checked that `name` is a setting.
 */
export function readSetting<K extends SettingName>(
  name: K,
  args: Value[],
  nameSpan: Span,
): Read<Settings[K]> {
  switch (name) {
    case "early_stopping":
      return readEarlyStopping(args, nameSpan) as Read<Settings[K]>;
    case "data":
      return readData(args, nameSpan) as Read<Settings[K]>;
    case "baseline":
      return readBaseline(args, nameSpan) as Read<Settings[K]>;
  }
  const reader = (scalarReaders as Record<string, (v: Value) => unknown>)[name];
  const [first, second] = args;
  if (!reader) return error("E101", nameSpan, `unknown setting '${name}'`);
  if (!first) return error("E103", nameSpan, `'${name}' needs a value`);
  if (second) return error("E103", second.span, `'${name}' takes one value`);
  return reader(first) as Read<Settings[K]>;
}

export const settingNames = Object.keys(defaults) as SettingName[];

export function isSettingName(name: string): name is SettingName {
  return (settingNames as string[]).includes(name);
}
