import {
  type LayerRef,
  type ModelExpr,
  type Statement,
  type SweepItem,
  type Value,
  valueText,
} from "./ast.js";

function value(v: Value): string {
  return v.kind === "string" ? JSON.stringify(v.value) : valueText(v);
}

function layer(l: LayerRef): string {
  if (l.args.length === 0) return l.name.value;
  return `${l.name.value}(${l.args.map((a) => (a.key ? `${a.key.value}=${value(a.value)}` : value(a.value))).join(", ")})`;
}

function model(e: ModelExpr): string {
  const mods = e.modifiers.map((m) => {
    if (m.kind === "mask") return `mask ${value(m.mask)}`;
    if (m.kind === "maps") return `maps ${value(m.value)}`;
    return `insert ${m.layers.map(layer).join(" ")} after ${value(m.after)}`;
  });
  return [...e.terms.map(layer), ...mods].join(" ");
}

function item(i: SweepItem): string {
  if (i.kind === "value") return value(i.value);
  if (i.kind === "tuple") return `(${i.values.map(value).join(", ")})`;
  return `${value(i.from)}..${value(i.to)}${i.step ? ` step ${value(i.step)}` : ""}`;
}

/** Prints statements back as canonical .cnnp text: one statement per line, two-space indents. */
export function printStatements(statements: Statement[], indent = ""): string {
  return statements
    .map((s) => {
      switch (s.kind) {
        case "model":
          return `${indent}model ${s.name ? `${s.name.value} = ` : ""}${model(s.expr)}`;
        case "setting":
          return `${indent}${[s.name.value, ...s.args.map(value)].join(" ")}`;
        case "sweep":
          return `${indent}sweep ${s.names.map((n) => n.value).join(", ")}${s.scale ? ` ${s.scale.value}` : ""} [${s.items.map(item).join(", ")}]`;
        case "search":
          return `${indent}search ${s.strategy.value} ${s.count.raw} by ${s.metric.value}${s.direction ? ` ${s.direction.value}` : ""}`;
        case "find": {
          const tail = s.where
            ? `where ${s.where.metric.value} ${s.where.op.value} ${value(s.where.value)}`
            : `by ${s.by?.metric.value ?? ""}${s.by?.direction ? ` ${s.by.direction.value}` : ""}`;
          return `${indent}find ${s.mode.value} ${s.target.value} ${tail}`;
        }
        case "note":
          return `${indent}note ${JSON.stringify(s.text)}`;
        case "expect": {
          const pairs = s.pairs.map((p) => `${p.key.value} ${value(p.value)}`);
          return `${indent}expect ${s.metric.value} ${s.figure.raw}${pairs.length > 0 ? ` for ${pairs.join(" ")}` : ""}`;
        }
        case "experiment":
          return `${indent}experiment ${JSON.stringify(s.title.value)} {\n${printStatements(s.body, `${indent}  `)}\n${indent}}`;
      }
      return "";
    })
    .join("\n");
}
