/** `1 job`, `2 jobs`, `1,024 jobs`, `2 processes`: a count and its noun, plural unless the count is one. */
export const plural = (n: number, word: string) =>
  `${n.toLocaleString("en")} ${word}${n === 1 ? "" : word.endsWith("s") ? "es" : "s"}`;
