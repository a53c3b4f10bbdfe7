/**
 * How deep definitions built from definitions go (blocks that use blocks, models built from
 * models): level 1 uses none, and each use adds one. Worked out without recursion and once per
 * name, so a chain of thousands is an error the checker reports, not a stack it runs out of. A
 * use that closes a cycle counts for nothing here: cycles are reported where they are expanded.
 */
export class Levels {
  private readonly known = new Map<string, number>();

  /** `uses(name)`: the names of the definitions that `name`'s definition uses directly. */
  constructor(private readonly uses: (name: string) => readonly string[]) {}

  of(name: string): number {
    const done = this.known.get(name);
    if (done !== undefined) return done;
    type Frame = { name: string; next: readonly string[]; i: number; deepest: number };
    const open = new Set<string>([name]);
    const stack: Frame[] = [{ name, next: this.uses(name), i: 0, deepest: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Frame;
      if (top.i < top.next.length) {
        const child = top.next[top.i++] as string;
        const level = this.known.get(child);
        if (level !== undefined) top.deepest = Math.max(top.deepest, level);
        else if (!open.has(child)) {
          open.add(child);
          stack.push({ name: child, next: this.uses(child), i: 0, deepest: 0 });
        }
        continue;
      }
      stack.pop();
      open.delete(top.name);
      const level = 1 + top.deepest;
      this.known.set(top.name, level);
      const parent = stack[stack.length - 1];
      if (parent) parent.deepest = Math.max(parent.deepest, level);
    }
    return this.known.get(name) as number;
  }

  /** Down the deepest uses from `name` (at `level` or above), the definition at exactly `level`. */
  at(name: string, level: number): string {
    let here = name;
    while (this.of(here) > level) {
      const down = this.of(here) - 1;
      const next = this.uses(here).find((u) => this.known.get(u) === down);
      if (next === undefined) break;
      here = next;
    }
    return here;
  }
}
