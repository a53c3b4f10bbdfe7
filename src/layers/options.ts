import { bounds } from "../bounds.js";
import { type Diagnostic, error } from "../diagnostics/diagnostic.js";
import { type LayerArg, type LayerRef, type Value, valueText } from "../dsl/ast.js";
import { grouped } from "../util/grouped.js";
import { closest, didYouMean } from "../util/suggest.js";
import type { Parsed } from "./layer.js";
import { type Activation, activations, type Padding } from "./types.js";

/** The options a layer word may take in parentheses: `conv32(activation=tanh, padding=same, stride=2)`. */
export interface Options {
  activation?: Activation;
  padding?: Padding;
  stride?: number;
  kernel?: number;
  rate?: number;
  momentum?: number;
  epsilon?: number;
  flip?: boolean;
  shift?: number;
  /** A layer's own options (readArgs' `own`), by name. */
  own?: Record<string, number | string | boolean>;
}

export const fail = <S>(diagnostic: Diagnostic): Parsed<S> => ({ ok: false, diagnostic });

export const windowHint = `Use windows and strides of 1 to ${grouped(bounds.window.max)} pixels.`;

/** A count written into a layer's name that is below 1. */
export function countError<S>(ref: LayerRef, what: string): Parsed<S> {
  return fail(
    error(
      "E104",
      ref.name.span,
      `'${ref.name.value}' needs at least 1 ${what}`,
      `Write a positive count, e.g. conv32 or dense128.`,
    ),
  );
}

/** A count or size written into a layer's name (`conv32x5`) past its largest value. */
export function tooLarge<S>(ref: LayerRef, what: string, n: number, max: number, hint: string): Parsed<S> {
  return fail(
    error(
      "E104",
      ref.name.span,
      `'${ref.name.value}' asks for ${grouped(n)} ${what}; at most ${grouped(max)} are allowed`,
      hint,
    ),
  );
}

/** A layer word that takes no options, with some. */
export function noOptions<S>(ref: LayerRef, word: string): Parsed<S> | undefined {
  return ref.args.length > 0 ? fail(error("E103", ref.span, `${word} takes no options`)) : undefined;
}

function positiveInt(v: Value): number | undefined {
  return v.kind === "number" && Number.isInteger(v.value) && v.value >= 1 ? v.value : undefined;
}

/** Reads `(activation=tanh, padding=same, stride=2)`; bare words name an activation or a padding. */
export function readArgs(
  ref: LayerRef,
  allowed: (keyof Options)[],
  /** A layer's own options, beside the common ones, and how each is read. */
  own: Record<string, Reader<number | string | boolean>> = {},
): Options | Diagnostic {
  const out: Options = {};
  for (const arg of ref.args) {
    const r = readArg(arg, allowed, own, out);
    if (r) return r;
  }
  return out;
}

function keyOf(arg: LayerArg, allowed: string[]): string | Diagnostic {
  const v = arg.value;
  const key = arg.key?.value;
  if (key === "strides") return "stride";
  if (key !== undefined) return key;
  if (v.kind === "word" && (activations as readonly string[]).includes(v.value)) return "activation";
  if (v.kind === "word" && (v.value === "same" || v.value === "valid")) return "padding";
  if (v.kind === "number" && allowed.includes("rate")) return "rate";
  return error(
    "E103",
    arg.span,
    `cannot tell what '${valueText(v)}' sets`,
    `Name it: ${allowed.map((a) => `${a}=...`).join(", ")}.`,
  );
}

function readArg(
  arg: LayerArg,
  common: (keyof Options)[],
  own: Record<string, Reader<number | string | boolean>>,
  out: Options,
): Diagnostic | undefined {
  const allowed = [...common, ...Object.keys(own)];
  const key = keyOf(arg, allowed);
  if (typeof key !== "string") return key;
  if (!allowed.includes(key)) {
    const near = closest(key, allowed);
    return error(
      "E103",
      arg.key?.span ?? arg.span,
      `this layer has no option '${key}'`,
      near ? `did you mean '${near}'?` : `Options: ${allowed.join(", ")}.`,
    );
  }
  const mine = own[key];
  const r = (mine ?? readers[key as Exclude<keyof Options, "own">])(arg.value);
  if ("code" in r) return r;
  if (mine) out.own = { ...out.own, [key]: r.value };
  else Object.assign(out, { [key]: r.value });
  return undefined;
}

type Read<T> = { value: T } | Diagnostic;
/** How an option's value is read: the value, or a located error. */
export type Reader<T> = (v: Value) => Read<T>;

/** An option that is a whole number from `min` to `max`. */
export function wholeOption(name: string, min: number, max: number, hint?: string): Reader<number> {
  return (v: Value): Read<number> => {
    const n = positiveInt(v) ?? (v.kind === "number" && v.value === 0 && min === 0 ? 0 : undefined);
    if (n === undefined || n < min)
      return error("E104", v.span, `${name} must be a whole number of at least ${min}`);
    if (n > max) return error("E104", v.span, `${name} must be at most ${grouped(max)}, not ${n}`, hint);
    return { value: n };
  };
}

const readers: { [K in Exclude<keyof Options, "own">]-?: Reader<NonNullable<Options[K]>> } = {
  activation: (v) =>
    v.kind === "word" && (activations as readonly string[]).includes(v.value)
      ? { value: v.value as Activation }
      : error("E103", v.span, `unknown activation '${valueText(v)}'`, didYouMean(valueText(v), activations)),
  padding: (v) =>
    v.kind === "word" && (v.value === "same" || v.value === "valid")
      ? { value: v.value }
      : error(
          "E103",
          v.span,
          `unknown padding '${valueText(v)}'`,
          "Padding is 'valid' (Keras' default) or 'same'.",
        ),
  stride: wholeOption("stride", 1, bounds.window.max, windowHint),
  kernel: wholeOption("kernel", 1, bounds.window.max, windowHint),
  rate: (v) =>
    v.kind === "number" ? { value: v.value } : error("E103", v.span, "a dropout rate is a number"),
  momentum: (v) =>
    v.kind === "number" && v.value >= 0 && v.value < 1
      ? { value: v.value }
      : error("E104", v.span, `momentum is a number in [0, 1), not '${valueText(v)}'`),
  epsilon: (v) =>
    v.kind === "number" && v.value > 0 && Number.isFinite(v.value)
      ? { value: v.value }
      : error("E104", v.span, `epsilon is a number above 0, not '${valueText(v)}'`),
  flip: (v) =>
    v.kind === "word" && (v.value === "on" || v.value === "off")
      ? { value: v.value === "on" }
      : error("E103", v.span, `flip is on or off, not '${valueText(v)}'`),
  shift: (v) =>
    v.kind === "number" && Number.isInteger(v.value) && v.value >= 0 && v.value <= bounds.window.max
      ? { value: v.value }
      : error(
          "E104",
          v.span,
          `shift is a whole number of pixels from 0 to ${bounds.window.max}, not '${valueText(v)}'`,
        ),
};
