import { bounds } from "../bounds.js";
import { error } from "../diagnostics/diagnostic.js";
import type { LayerRef } from "../dsl/ast.js";
import { grouped } from "../util/grouped.js";
import type { Parsed } from "./layer.js";
import { countError, fail, type Options, type Reader, readArgs, tooLarge, windowHint } from "./options.js";

/** What a convolution word says: `conv32x5(padding=same, stride=2)` and its options. */
export interface Filters {
  filters: number;
  kernel: [number, number];
  strides: [number, number];
  opts: Options;
}

/**
 * Reads a convolution word, `WORD<N>[x<K>[x<K>]]` with `activation=`, `padding=`, `stride=`,
 * `kernel=` and the layer's own options: its filters, kernel and strides, or where it is wrong;
 * undefined when the word is not `word`'s.
 */
export function readFilters(
  ref: LayerRef,
  word: string,
  own: Record<string, Reader<number | string | boolean>> = {},
): Parsed<Filters> | undefined {
  const m = new RegExp(`^${word}(\\d+)(?:x(\\d+)(?:x(\\d+))?)?$`).exec(ref.name.value);
  if (!m) return undefined;
  const filters = Number(m[1]);
  if (filters < 1) return countError(ref, "filter");
  if (filters > bounds.maps.max)
    return tooLarge(
      ref,
      "filters",
      filters,
      bounds.maps.max,
      `Write e.g. ${word}32: 1 to ${grouped(bounds.maps.max)} filters.`,
    );
  const opts = readArgs(ref, ["activation", "padding", "stride", "kernel"], own);
  if ("code" in opts) return fail(opts);
  const kh = m[2] !== undefined ? Number(m[2]) : (opts.kernel ?? 3);
  const kw = m[3] !== undefined ? Number(m[3]) : kh;
  if (kh < 1 || kw < 1) return fail(error("E104", ref.name.span, "a kernel is at least 1x1"));
  if (Math.max(kh, kw) > bounds.window.max)
    return tooLarge(ref, "pixels of kernel", Math.max(kh, kw), bounds.window.max, windowHint);
  const s = opts.stride ?? 1;
  return { ok: true, layer: { filters, kernel: [kh, kw], strides: [s, s], opts } };
}
