/**
 * The lines of a source text. A line ends at `\r\n`, `\n` or a lone `\r` (the lexer's rule too), so
 * line numbers are the same for files written on any system. Built once per text, in one pass;
 * each look-up is then a binary search, so reporting many problems stays linear in the text.
 */
export class Lines {
  /** Offset of each line's first character. */
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }

  get count(): number {
    return this.starts.length;
  }

  /** Line `line` (1-based) without its line break; "" past the end. */
  line(line: number): string {
    const start = this.starts[line - 1];
    if (start === undefined) return "";
    const next = this.starts[line] ?? this.text.length;
    let end = next;
    if (end > start && this.text.charCodeAt(end - 1) === 10) end--;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    return this.text.slice(start, end);
  }

  /** The 1-based line and column of `offset`. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }

  /** Line and column just past the last character: where "the end of the file" is. */
  end(): { line: number; column: number } {
    const line = this.starts.length;
    return { line, column: this.line(line).length + 1 };
  }
}
