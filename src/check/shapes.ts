import type { LayerSpec, ModelSpec } from "../model/index.js";

/** One row of a Keras-style model summary. */
export interface SummaryRow {
  /** Keras' class name: Conv2D, MaxPooling2D, Flatten, Dense, Dropout. */
  type: string;
  /** Output shape without the batch axis. */
  outputShape: number[];
  params: number;
  /** Of `params`, those the optimizer trains (batchnorm's moving statistics are not). */
  trainable: number;
}

export interface Summary {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
}

/** Why a model cannot be built, and which layer is at fault (index into `layers`). */
export interface ShapeProblem {
  layer: number;
  code: "E111" | "E112" | "E113" | "E131";
  message: string;
}

const className: Record<Exclude<LayerSpec["type"], "augment">, string> = {
  conv2d: "Conv2D",
  maxpool2d: "MaxPooling2D",
  avgpool2d: "AveragePooling2D",
  globalpool: "GlobalAveragePooling2D",
  batchnorm: "BatchNormalization",
  flatten: "Flatten",
  dense: "Dense",
  dropout: "Dropout",
};

/** Keras' name for an augment layer: RandomFlip, RandomTranslation, or both in turn. */
export function augmentClass(l: Extract<LayerSpec, { type: "augment" }>): string {
  return [l.flip ? "RandomFlip" : "", l.shift > 0 ? "RandomTranslation" : ""].filter(Boolean).join(", ");
}

/** Keras' output length of a convolution or pooling window along one axis. */
export function outLength(size: number, window: number, stride: number, padding: "valid" | "same"): number {
  return padding === "same" ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1;
}

/**
 * Infers every layer's output shape and parameter count with Keras' rules (valid padding floors,
 * `same` keeps ceil(size / stride)), or says which layer cannot be built.
 */
export function summarize(model: ModelSpec): Summary | ShapeProblem {
  let shape: number[] = [...model.input];
  const rows: SummaryRow[] = [];
  for (const [i, layer] of model.layers.entries()) {
    const inputShape = shape;
    const push = (type: string, params = 0, trainable = params) =>
      rows.push({ type, outputShape: shape, params, trainable });
    switch (layer.type) {
      case "augment":
        if (i !== 0)
          return {
            layer: i,
            code: "E131",
            message: "augment changes the input images: it must be the first layer",
          };
        push(augmentClass(layer));
        break;
      case "batchnorm": {
        const c = shape[shape.length - 1] ?? 0;
        // Gamma and beta are trained; the moving mean and variance are not.
        push("BatchNormalization", 4 * c, 2 * c);
        break;
      }
      case "globalpool":
        if (shape.length !== 3)
          return {
            layer: i,
            code: "E112",
            message: "GlobalAveragePooling2D needs an image, but the layer before it gives a flat vector",
          };
        shape = [shape[2] ?? 0];
        push("GlobalAveragePooling2D");
        break;
      case "conv2d":
      case "avgpool2d":
      case "maxpool2d": {
        if (shape.length !== 3) {
          return {
            layer: i,
            code: "E112",
            message: `${className[layer.type]} needs an image, but the layer before it gives a flat vector`,
          };
        }
        const [h = 0, w = 0, c = 0] = shape;
        const [kh, kw] = layer.type === "conv2d" ? layer.kernel : layer.pool;
        const [sh, sw] = layer.strides;
        const oh = outLength(h, kh, sh, layer.padding);
        const ow = outLength(w, kw, sw, layer.padding);
        if (oh < 1 || ow < 1) {
          return {
            layer: i,
            code: "E111",
            message: `a ${kh}x${kw} window shrinks the ${h}x${w} image below 1x1`,
          };
        }
        const channels = layer.type === "conv2d" ? layer.filters : c;
        shape = [oh, ow, channels];
        const params = layer.type === "conv2d" ? kh * kw * c * layer.filters + layer.filters : 0;
        push(className[layer.type], params);
        break;
      }
      case "flatten":
        shape = [shape.reduce((a, b) => a * b, 1)];
        push("Flatten");
        break;
      case "dense": {
        if (shape.length !== 1) {
          return { layer: i, code: "E112", message: "Dense needs a flat vector: put flatten before it" };
        }
        const [n = 0] = shape;
        shape = [layer.units];
        push("Dense", n * layer.units + layer.units);
        break;
      }
      case "dropout":
        rows.push({ type: "Dropout", outputShape: inputShape, params: 0, trainable: 0 });
        break;
    }
  }
  const last = model.layers.findLastIndex((l) => l.type !== "dropout");
  const out = model.layers[last];
  if (out?.type !== "dense") {
    return {
      layer: Math.max(0, model.layers.length - 1),
      code: "E113",
      message: `the model must end with dense${model.classes}, the output layer`,
    };
  }
  if (out.units !== model.classes) {
    return {
      layer: last,
      code: "E113",
      message: `the output layer has ${out.units} units but the data has ${model.classes} classes`,
    };
  }
  return {
    rows,
    totalParams: rows.reduce((a, r) => a + r.params, 0),
    trainableParams: rows.reduce((a, r) => a + r.trainable, 0),
  };
}

export function isProblem(s: Summary | ShapeProblem): s is ShapeProblem {
  return "code" in s;
}

/** The summary as Keras prints it (without the batch axis). */
export function formatSummary(s: Pick<Summary, "rows" | "totalParams">): string {
  const trainable = s.rows.reduce((a, r) => a + r.trainable, 0);
  const fmt = new Intl.NumberFormat("en-US");
  const lines = s.rows.map((r) => [r.type, `(${r.outputShape.join(", ")})`, fmt.format(r.params)]);
  const widths = [0, 1, 2].map((c) =>
    Math.max(...lines.map((l) => l[c]?.length ?? 0), ["Layer", "Output shape", "Params"][c]?.length ?? 0),
  );
  const row = (cells: string[]) =>
    `${(cells[0] ?? "").padEnd(widths[0] ?? 0)}  ${(cells[1] ?? "").padEnd(widths[1] ?? 0)}  ${(cells[2] ?? "").padStart(widths[2] ?? 0)}`;
  return [
    row(["Layer", "Output shape", "Params"]),
    ...lines.map(row),
    `Total params: ${fmt.format(s.totalParams)}`,
    ...(trainable !== s.totalParams
      ? [
          `Trainable params: ${fmt.format(trainable)}`,
          `Non-trainable params: ${fmt.format(s.totalParams - trainable)}`,
        ]
      : []),
  ].join("\n");
}
