import { z } from "zod";
import { error } from "../diagnostics/diagnostic.js";
import { chain, type Inner, innerShapes, problem, type Registry } from "./composite.js";
import type { LayerKind, Parsed, Shape, SummaryRow, Tensor, WeightSpec } from "./layer.js";
import { isShapeProblem } from "./layer.js";
import { fail } from "./options.js";

/**
 * `residual(LAYERS)`: adds the block's input to the output of LAYERS (He et al. 2016). When their
 * shapes differ, the shortcut is a 1x1 convolution with the stride that matches them (Keras'
 * projection shortcut, ResNet v1 "option B"), counted in the parameters.
 */
export interface ResidualSpec {
  type: "residual";
  /** The layers the input goes through (specs of the registry's kinds). */
  layers: Inner[];
}

/** The shortcut's stride: 1 when the shapes match, else the one a 1x1 convolution matches them with. */
export function shortcutOf(input: Shape, output: Shape): { stride: number; project: boolean } | null {
  const [h = 0, w = 0, c = 0] = input;
  const [oh = 0, ow = 0, oc = 0] = output;
  if (h === oh && w === ow && c === oc) return { stride: 1, project: false };
  for (let s = 1; s <= Math.max(h, w); s++)
    if (Math.ceil(h / s) === oh && Math.ceil(w / s) === ow) return { stride: s, project: true };
  return null;
}

/** The block's output, its summary row and its layers' rows (with the shortcut's and the Add). */
function residualShape(
  reg: Registry,
  l: ResidualSpec,
  input: Shape,
): ReturnType<LayerKind<ResidualSpec>["shape"]> {
  if (input.length !== 3)
    return problem("a residual block needs an image, but the layer before it gives a flat vector");
  const s = innerShapes(reg, l, input);
  if (isShapeProblem(s)) return s;
  if (s.output.length !== 3)
    return problem("a residual block's layers must give an image to add its input to, not a flat vector");
  const cut = shortcutOf(input, s.output);
  if (!cut)
    return problem(
      `a residual block's layers turn (${input.join(", ")}) into (${s.output.join(", ")}), which no 1x1 shortcut matches`,
    );
  const cin = input[2] ?? 0;
  const cout = s.output[2] ?? 0;
  const projection = cut.project ? cin * cout + cout : 0;
  const inner = s.rows.reduce((a, r) => a + (r.depth === 1 ? r.params : 0), 0);
  const trainable = s.rows.reduce((a, r) => a + (r.depth === 1 ? r.trainable : 0), 0);
  const rows: SummaryRow[] = [
    ...s.rows,
    ...(cut.project
      ? [
          {
            type: "Conv2D (shortcut)",
            outputShape: s.output,
            params: projection,
            trainable: projection,
            depth: 1,
          },
        ]
      : []),
    { type: "Add", outputShape: s.output, params: 0, trainable: 0, depth: 1 },
  ];
  return {
    output: s.output,
    row: { type: "Residual", params: inner + projection, trainable: trainable + projection },
    inner: rows,
  };
}

/** The whole step's sequence for a residual: a fork, its layers, and the join that adds them. */
function residualSteps(l: ResidualSpec, input: Shape, output: Shape) {
  const cut = shortcutOf(input, output);
  if (!cut) return "a residual no 1x1 shortcut matches";
  const [h = 0, w = 0, c = 0] = input;
  const [oh = 0, ow = 0, co = 0] = output;
  const size = (s: Shape) => s.reduce((a, b) => a * b, 1);
  const join = { kind: "join", in: size(output), out: size(output), h, w, c, oh, ow, co };
  return {
    layers: l.layers,
    before: [{ kind: "fork", in: size(input), out: size(input) }],
    after: [{ ...join, stride: cut.stride, project: cut.project }],
  };
}

export function residualKind(reg: Registry): LayerKind<ResidualSpec> {
  return {
    type: "residual",
    usage: "residual(<layers>)",
    words: ["residual"],
    maskWord: "residual",
    schema: z.strictObject({
      type: z.literal("residual"),
      layers: z.array(z.lazy(reg.schema)).min(1),
    }) as unknown as z.ZodType<ResidualSpec>,
    parse(ref) {
      if (ref.name.value !== "residual") return undefined;
      if (!ref.inner || ref.inner.length === 0)
        return fail(
          error(
            "E103",
            ref.span,
            "residual needs its layers in parentheses",
            "Write e.g. residual(conv16(same) conv16(same, linear)) relu.",
          ),
        );
      const layers: Inner[] = [];
      for (const r of ref.inner) {
        const p = reg.parseLayer(r);
        if (!p.ok) return p as Parsed<ResidualSpec>;
        layers.push(p.layer);
      }
      return { ok: true, layer: { type: "residual", layers } };
    },
    place: (d, ctx) => ({
      type: "residual",
      layers: d.layers.map((x) => reg.place(x, { ...ctx, lastDense: false })),
    }),
    maps: true,
    shape: (l, input) => residualShape(reg, l, input),
    weights(l, input) {
      const s = innerShapes(reg, l, input);
      if (isShapeProblem(s)) return [];
      const own: WeightSpec[] = l.layers.flatMap(
        (x, i) => reg.kindOf(x).weights?.(x, s.inputs[i] ?? []) ?? [],
      );
      const cut = shortcutOf(input, s.output);
      if (!cut?.project) return own;
      const cin = input[2] ?? 0;
      const cout = s.output[2] ?? 0;
      return [
        ...own,
        { name: "shortcut_kernel", shape: [1, 1, cin, cout], init: { glorot: [cin, cout] }, trainable: true },
        { name: "shortcut_bias", shape: [cout], init: { constant: 0 }, trainable: true },
      ];
    },
    forward(l, x, ctx) {
      const { tf } = ctx;
      const input = x.shape.slice(1);
      const s = innerShapes(reg, l, input);
      if (isShapeProblem(s)) throw new Error(`internal: ${s.message}`);
      const { t, at } = chain(reg, l.layers, s.inputs, x, ctx);
      const cut = shortcutOf(input, s.output);
      let shortcut: Tensor = x;
      if (cut?.project) {
        const [kernel, bias] = ctx.weights.slice(at, at + 2);
        if (!kernel || !bias) throw new Error("internal: a projection shortcut without its weights");
        shortcut = tf.add(
          tf.conv2d(
            x as Parameters<typeof tf.conv2d>[0],
            kernel as Parameters<typeof tf.conv2d>[1],
            cut.stride,
            "valid",
          ),
          bias,
        );
      }
      return tf.add(t, shortcut);
    },
    keras: () => [],
    steps: (l, input, output) => residualSteps(l, input, output),
  };
}
