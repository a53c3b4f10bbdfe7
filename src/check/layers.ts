import { bounds } from "../bounds.js";
import { type Diagnostic, error } from "../diagnostics/diagnostic.js";
import { type LayerArg, type LayerRef, type Value, valueText } from "../dsl/ast.js";
import { type Activation, activations, type LayerSpec, type Padding } from "../model/index.js";
import { closest, didYouMean } from "../util/suggest.js";
import { grouped } from "./settings.js";

/** A layer as written: like a LayerSpec, but a dense layer's activation may be left to its place. */
export type LayerDraft =
  | Exclude<LayerSpec, { type: "dense" }>
  | { type: "dense"; units: number; activation: Activation | undefined };

/** The layer words, for suggestions when one is misspelt. */
export const layerKinds = [
  "conv",
  "pool",
  "avgpool",
  "globalpool",
  "batchnorm",
  "augment",
  "dense",
  "dropout",
  "flatten",
] as const;

type Parsed = { ok: true; layer: LayerDraft } | { ok: false; diagnostic: Diagnostic };

const fail = (diagnostic: Diagnostic): Parsed => ({ ok: false, diagnostic });

function countError(ref: LayerRef, what: string): Parsed {
  return fail(
    error(
      "E104",
      ref.name.span,
      `'${ref.name.value}' needs at least 1 ${what}`,
      `Write a positive count, e.g. conv32 or dense128.`,
    ),
  );
}

function positiveInt(v: Value): number | undefined {
  return v.kind === "number" && Number.isInteger(v.value) && v.value >= 1 ? v.value : undefined;
}

/** A count or size written into a layer's name (`conv32x5`) past its largest value. */
function tooLarge(ref: LayerRef, what: string, n: number, max: number, hint: string): Parsed {
  return fail(
    error(
      "E104",
      ref.name.span,
      `'${ref.name.value}' asks for ${grouped(n)} ${what}; at most ${grouped(max)} are allowed`,
      hint,
    ),
  );
}

const windowHint = `Use windows and strides of 1 to ${grouped(bounds.window.max)} pixels.`;

interface Options {
  activation?: Activation;
  padding?: Padding;
  stride?: number;
  kernel?: number;
  rate?: number;
  momentum?: number;
  epsilon?: number;
  flip?: boolean;
  shift?: number;
}

/** Reads `(activation=tanh, padding=same, stride=2)`; bare words name an activation or a padding. */
function readArgs(ref: LayerRef, allowed: (keyof Options)[]): Options | Diagnostic {
  const out: Options = {};
  for (const arg of ref.args) {
    const r = readArg(arg, allowed, out);
    if (r) return r;
  }
  return out;
}

function readArg(arg: LayerArg, allowed: (keyof Options)[], out: Options): Diagnostic | undefined {
  const v = arg.value;
  let key = arg.key?.value;
  if (key === "strides") key = "stride";
  if (key === undefined) {
    if (v.kind === "word" && (activations as readonly string[]).includes(v.value)) key = "activation";
    else if (v.kind === "word" && (v.value === "same" || v.value === "valid")) key = "padding";
    else if (v.kind === "number" && allowed.includes("rate")) key = "rate";
    else
      return error(
        "E103",
        arg.span,
        `cannot tell what '${spanText(v)}' sets`,
        `Name it: ${allowed.map((a) => `${a}=...`).join(", ")}.`,
      );
  }
  if (!(allowed as string[]).includes(key)) {
    const near = closest(key, allowed);
    return error(
      "E103",
      arg.key?.span ?? arg.span,
      `this layer has no option '${key}'`,
      near ? `did you mean '${near}'?` : `Options: ${allowed.join(", ")}.`,
    );
  }
  if (key === "activation") {
    if (v.kind !== "word" || !(activations as readonly string[]).includes(v.value)) {
      return error(
        "E103",
        v.span,
        `unknown activation '${spanText(v)}'`,
        didYouMean(spanText(v), activations),
      );
    }
    out.activation = v.value as Activation;
  } else if (key === "padding") {
    if (v.kind !== "word" || (v.value !== "same" && v.value !== "valid")) {
      return error(
        "E103",
        v.span,
        `unknown padding '${spanText(v)}'`,
        "Padding is 'valid' (Keras' default) or 'same'.",
      );
    }
    out.padding = v.value;
  } else if (key === "stride" || key === "kernel") {
    const n = positiveInt(v);
    if (n === undefined) return error("E104", v.span, `${key} must be a whole number of at least 1`);
    if (n > bounds.window.max)
      return error(
        "E104",
        v.span,
        `${key} must be at most ${grouped(bounds.window.max)}, not ${n}`,
        windowHint,
      );
    out[key] = n;
  } else if (key === "rate") {
    if (v.kind !== "number") return error("E103", v.span, "a dropout rate is a number");
    out.rate = v.value;
  } else if (key === "momentum") {
    if (v.kind !== "number" || !(v.value >= 0 && v.value < 1))
      return error("E104", v.span, `batchnorm's momentum is a number in [0, 1), not '${spanText(v)}'`);
    out.momentum = v.value;
  } else if (key === "epsilon") {
    if (v.kind !== "number" || !(v.value > 0) || !Number.isFinite(v.value))
      return error("E104", v.span, `batchnorm's epsilon is a number above 0, not '${spanText(v)}'`);
    out.epsilon = v.value;
  } else if (key === "flip") {
    if (v.kind !== "word" || (v.value !== "on" && v.value !== "off"))
      return error("E103", v.span, `flip is on or off, not '${spanText(v)}'`);
    out.flip = v.value === "on";
  } else if (key === "shift") {
    if (v.kind !== "number" || !Number.isInteger(v.value) || v.value < 0 || v.value > bounds.window.max)
      return error(
        "E104",
        v.span,
        `shift is a whole number of pixels from 0 to ${bounds.window.max}, not '${spanText(v)}'`,
      );
    out.shift = v.value;
  }
  return undefined;
}

const spanText = valueText;

/** Parses one layer word, e.g. `conv32x5(padding=same)`, `pool3`, `dense10`, `dropout0.25`. */
export function parseLayer(ref: LayerRef): Parsed {
  const word = ref.name.value;
  let m = /^conv(\d+)(?:x(\d+)(?:x(\d+))?)?$/.exec(word);
  if (m) {
    const filters = Number(m[1]);
    if (filters < 1) return countError(ref, "filter");
    if (filters > bounds.maps.max)
      return tooLarge(
        ref,
        "filters",
        filters,
        bounds.maps.max,
        `Write e.g. conv32: 1 to ${grouped(bounds.maps.max)} filters.`,
      );
    const opts = readArgs(ref, ["activation", "padding", "stride", "kernel"]);
    if ("code" in opts) return fail(opts);
    const kh = m[2] !== undefined ? Number(m[2]) : (opts.kernel ?? 3);
    const kw = m[3] !== undefined ? Number(m[3]) : kh;
    if (kh < 1 || kw < 1) return fail(error("E104", ref.name.span, "a kernel is at least 1x1"));
    if (Math.max(kh, kw) > bounds.window.max)
      return tooLarge(ref, "pixels of kernel", Math.max(kh, kw), bounds.window.max, windowHint);
    const s = opts.stride ?? 1;
    return {
      ok: true,
      layer: {
        type: "conv2d",
        filters,
        kernel: [kh, kw],
        strides: [s, s],
        padding: opts.padding ?? "valid",
        activation: opts.activation ?? "relu",
      },
    };
  }
  m = /^(max|avg)?pool(\d+)?$/.exec(word);
  if (m) {
    const k = m[2] !== undefined ? Number(m[2]) : 2;
    if (k < 1) return fail(error("E104", ref.name.span, "a pooling window is at least 1x1"));
    if (k > bounds.window.max) return tooLarge(ref, "pixels of window", k, bounds.window.max, windowHint);
    const opts = readArgs(ref, ["padding", "stride"]);
    if ("code" in opts) return fail(opts);
    const s = opts.stride ?? k;
    return {
      ok: true,
      layer: {
        type: m[1] === "avg" ? "avgpool2d" : "maxpool2d",
        pool: [k, k],
        strides: [s, s],
        padding: opts.padding ?? "valid",
      },
    };
  }
  if (word === "globalpool") {
    if (ref.args.length > 0) return fail(error("E103", ref.span, "globalpool takes no options"));
    return { ok: true, layer: { type: "globalpool" } };
  }
  if (word === "batchnorm") {
    const opts = readArgs(ref, ["momentum", "epsilon"]);
    if ("code" in opts) return fail(opts);
    // Keras' BatchNormalization defaults.
    return {
      ok: true,
      layer: { type: "batchnorm", momentum: opts.momentum ?? 0.99, epsilon: opts.epsilon ?? 1e-3 },
    };
  }
  if (word === "augment") {
    const opts = readArgs(ref, ["flip", "shift"]);
    if ("code" in opts) return fail(opts);
    const layer = { type: "augment" as const, flip: opts.flip ?? true, shift: opts.shift ?? 2 };
    if (!layer.flip && layer.shift === 0)
      return fail(error("E104", ref.span, "this augment does nothing: no flip and no shift"));
    return { ok: true, layer };
  }
  m = /^dense(\d+)$/.exec(word);
  if (m) {
    const units = Number(m[1]);
    if (units < 1) return countError(ref, "unit");
    if (units > bounds.units.max)
      return tooLarge(
        ref,
        "units",
        units,
        bounds.units.max,
        `Write e.g. dense128: 1 to ${grouped(bounds.units.max)} units.`,
      );
    const opts = readArgs(ref, ["activation"]);
    if ("code" in opts) return fail(opts);
    return { ok: true, layer: { type: "dense", units, activation: opts.activation } };
  }
  m = /^dropout(\d*\.?\d+)?$/.exec(word);
  if (m) {
    const opts = readArgs(ref, ["rate"]);
    if ("code" in opts) return fail(opts);
    const rate = m[1] !== undefined ? Number(m[1]) : opts.rate;
    if (rate === undefined) {
      return fail(
        error("E103", ref.name.span, "a dropout layer needs a rate", "Write it into the name: dropout0.25."),
      );
    }
    if (!(rate >= 0 && rate < 1)) {
      return fail(
        error(
          "E104",
          ref.name.span,
          `dropout rate ${rate} is outside [0, 1)`,
          "A rate is the fraction of units dropped: at least 0, below 1.",
        ),
      );
    }
    return { ok: true, layer: { type: "dropout", rate } };
  }
  if (word === "flatten") {
    if (ref.args.length > 0) return fail(error("E103", ref.span, "flatten takes no options"));
    return { ok: true, layer: { type: "flatten" } };
  }
  if (/^(conv|dense|pool)-\d/.test(word))
    return countError(ref, word.startsWith("dense") ? "unit" : "filter");
  if (/^(conv|dense)\d+(\.\d+)?[eE]\d/.test(word)) {
    const dense = word.startsWith("dense");
    return fail(
      error(
        "E104",
        ref.name.span,
        `'${word}': a layer's ${dense ? "units" : "filters"} are a whole number in digits, from 1 to ${grouped(dense ? bounds.units.max : bounds.maps.max)}`,
        dense ? "Write e.g. dense128." : "Write e.g. conv32.",
      ),
    );
  }
  const prefix = /^[A-Za-z_]+/.exec(word)?.[0] ?? word;
  const near = closest(prefix, layerKinds);
  const hint = near ? `did you mean '${near}${word.slice(prefix.length)}'?` : undefined;
  return fail(error("E102", ref.name.span, `unknown layer '${word}'`, hint));
}
