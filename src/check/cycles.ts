import { type Diagnostic, error } from "../diagnostics/diagnostic.js";
import type { Dependency } from "../model/index.js";

/** Most edges the searches for cycles may step through, all together, before they stop naming the chain. */
const searchBudget = 2_000_000;

/**
 * The strongly connected component of each experiment (Tarjan's algorithm, without recursion, so
 * a chain of any length fits the stack). An edge lies on a cycle exactly when both its ends are in
 * one component.
 */
function components(next: Map<string, Dependency[]>): Map<string, number> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const component = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  let counter = 0;
  let components = 0;
  for (const root of next.keys()) {
    if (index.has(root)) continue;
    const frames: { node: string; edge: number }[] = [{ node: root, edge: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const f = frames[frames.length - 1] as { node: string; edge: number };
      const edges = next.get(f.node) ?? [];
      if (f.edge < edges.length) {
        const to = (edges[f.edge++] as Dependency).to;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          frames.push({ node: to, edge: 0 });
        } else if (onStack.has(to))
          low.set(f.node, Math.min(low.get(f.node) as number, index.get(to) as number));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(f.node) as number));
      if (low.get(f.node) === index.get(f.node)) {
        for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
          onStack.delete(t);
          component.set(t, components);
          if (t === f.node) break;
        }
        components++;
      }
    }
  }
  return component;
}

/**
 * The references from `start.to` back to `start.from`, depth first in file order, through the
 * experiments of their component only; null when the budget runs out first.
 */
function pathBack(
  start: Dependency,
  next: Map<string, Dependency[]>,
  component: Map<string, number>,
  budget: { left: number },
): Dependency[] | null {
  const c = component.get(start.from);
  const path: Dependency[] = [start];
  const seen = new Set<string>();
  const frames: { node: string; edge: number }[] = [];
  const enter = (title: string): boolean => {
    if (title === start.from) return true;
    if (seen.has(title) || component.get(title) !== c) return false;
    seen.add(title);
    frames.push({ node: title, edge: 0 });
    return false;
  };
  if (enter(start.to)) return path;
  while (frames.length > 0) {
    if (--budget.left < 0) return null;
    const f = frames[frames.length - 1] as { node: string; edge: number };
    const d = next.get(f.node)?.[f.edge++];
    if (!d) {
      frames.pop();
      path.pop();
      continue;
    }
    path.push(d);
    if (enter(d.to)) return path;
    if (frames[frames.length - 1] === f) path.pop();
  }
  return null;
}

/** Experiments that wait, through their references, on their own answers: one E126 per cycle found. */
export function cycles(deps: Dependency[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const next = new Map<string, Dependency[]>();
  for (const d of deps) {
    const list = next.get(d.from);
    if (list) list.push(d);
    else next.set(d.from, [d]);
  }
  const component = components(next);
  const reported = new Set<Dependency>();
  const budget = { left: searchBudget };
  for (const start of deps) {
    if (reported.has(start)) continue;
    const c = component.get(start.from);
    if (c === undefined || component.get(start.to) !== c) continue;
    const path = pathBack(start, next, component, budget) ?? [start];
    for (const d of path) reported.add(d);
    const chain = [start.from, ...path.map((d) => d.to)].map((t) => `"${t}"`).join(" -> ");
    out.push(
      error(
        "E126",
        start.span,
        start.from === start.to
          ? `"${start.from}" cannot use its own answer`
          : path.length > 1
            ? `these experiments wait on each other's answers: ${chain}`
            : `"${start.from}" waits, through the answers it uses, on its own answer`,
        "Break the cycle: give one of them a value of its own.",
        path.slice(1).map((d) => ({ span: d.span, message: `"${d.from}" uses "${d.to}" here` })),
      ),
    );
  }
  return out;
}
