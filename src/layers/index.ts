/**
 * The layer registry: every kind of layer, each in its own file. The parser's hints, the checker,
 * the network builder, the exporter, a queue worker's payload check and the native bridge read
 * it; adding a layer is its file and one line here.
 */
import { z } from "zod";
import { bounds } from "../bounds.js";
import { error } from "../diagnostics/diagnostic.js";
import type { LayerRef } from "../dsl/ast.js";
import { grouped } from "../util/grouped.js";
import { closest } from "../util/suggest.js";
import { activation } from "./activation-layer.js";
import { augment } from "./augment.js";
import { batchnorm } from "./batchnorm.js";
import { blockKind } from "./block.js";
import { conv } from "./conv.js";
import { dense } from "./dense.js";
import { dropout } from "./dropout.js";
import { flatten } from "./flatten.js";
import { globalpool } from "./globalpool.js";
import type { LayerKind, Parsed } from "./layer.js";
import { countError, fail } from "./options.js";
import { avgpool, maxpool } from "./pool.js";
import { residualKind } from "./residual.js";
import { sepconv } from "./sepconv.js";

/** What a kind made of other layers reads of the registry. */
const registry: Parameters<typeof residualKind>[0] = {
  kindOf: (spec) => kindOf(spec as LayerSpec) as never,
  parseLayer: (ref) => parseLayer(ref),
  place: (draft, ctx) => {
    const k = kindOf(draft as LayerSpec);
    return k.place ? k.place(draft as never, ctx) : { ...draft };
  },
  schema: () => layerSchema as never,
};
/** A block of layers whose input is added to their output, and a named sequence of layers. */
const residual = residualKind(registry);
const block = blockKind(registry);

/** In the order a layer word is tried against them. */
export const layerKinds = [
  conv,
  sepconv,
  maxpool,
  avgpool,
  globalpool,
  batchnorm,
  augment,
  dense,
  dropout,
  flatten,
  residual,
  block,
  activation,
] as const;

type Kind = (typeof layerKinds)[number];
type SpecOf<K> = K extends LayerKind<infer S, infer _D> ? S : never;
type DraftOf<K> = K extends LayerKind<infer _S, infer D> ? D : never;

/** One layer of a concrete model, in Keras' terms. */
export type LayerSpec = SpecOf<Kind>;
/** A layer as written, before its place in a model settles what it leaves open (dense's activation). */
export type LayerDraft = DraftOf<Kind>;
export type LayerType = LayerSpec["type"];

const byType = new Map<string, Kind>(layerKinds.map((k) => [k.type, k]));

/** The kind of a spec or draft: everything a stage needs to do with it. */
export function kindOf<S extends { type: LayerType }>(
  spec: S,
): LayerKind<Extract<LayerSpec, { type: S["type"] }>, Extract<LayerDraft, { type: S["type"] }>> {
  const k = byType.get(spec.type);
  if (!k) throw new Error(`internal: no layer kind '${spec.type}'`);
  return k as unknown as LayerKind<
    Extract<LayerSpec, { type: S["type"] }>,
    Extract<LayerDraft, { type: S["type"] }>
  >;
}

/** The words layers start with, for suggestions when one is misspelt. */
export const layerWords: readonly string[] = layerKinds.flatMap((k) => k.words);

/** How pipelines write each layer, as the hints list them. */
export const layerUsage = `Layers are ${layerKinds
  .map((k) => k.usage)
  .slice(0, -1)
  .join(", ")} and ${layerKinds.at(-1)?.usage}.`;

/** Any layer spec a stored run may hold (a queue worker checks payloads against it). */
export const layerSchema = z.union(
  layerKinds.map((k) => k.schema) as unknown as [
    z.ZodType<LayerSpec>,
    z.ZodType<LayerSpec>,
    ...z.ZodType<LayerSpec>[],
  ],
);

/** A negative count, `conv-8`: conv's, dense's or pool's word, if wrong. */
const negativeCount = /^(conv|dense|pool)-\d/;

/** Whether a layer kind takes this word as its own, valid or not (`conv0` is conv's, if wrong). */
export function claimedByLayer(ref: LayerRef): boolean {
  return layerKinds.some((k) => k.parse(ref) !== undefined) || negativeCount.test(ref.name.value);
}

/** Parses one layer word, e.g. `conv32x5(padding=same)`, `pool3`, `dense10`, `dropout0.25`. */
export function parseLayer(ref: LayerRef): Parsed<LayerDraft> {
  for (const k of layerKinds) {
    const r = k.parse(ref) as Parsed<LayerDraft> | undefined;
    if (r) return r;
  }
  const word = ref.name.value;
  if (negativeCount.test(word)) return countError(ref, word.startsWith("dense") ? "unit" : "filter");
  if (/^(conv|dense)\d+(\.\d+)?[eE]\d/.test(word)) {
    const units = word.startsWith("dense");
    return fail(
      error(
        "E104",
        ref.name.span,
        `'${word}': a layer's ${units ? "units" : "filters"} are a whole number in digits, from 1 to ${grouped(units ? bounds.units.max : bounds.maps.max)}`,
        units ? "Write e.g. dense128." : "Write e.g. conv32.",
      ),
    );
  }
  const prefix = /^[A-Za-z_]+/.exec(word)?.[0] ?? word;
  const near = closest(prefix, layerWords);
  const guess = near ? `${near}${word.slice(prefix.length)}` : undefined;
  // A guess only when it is a layer itself: `relu16` for `res16` would be another error.
  const parses = (w: string) =>
    layerKinds.some((k) => k.parse({ ...ref, name: { ...ref.name, value: w } })?.ok);
  const hint = guess && parses(guess) ? `did you mean '${guess}'?` : layerUsage;
  return fail(error("E102", ref.name.span, `unknown layer '${word}'`, hint));
}

export type { NativeLayer, Shape, ShapeProblem, SummaryRow, WeightSpec } from "./layer.js";
