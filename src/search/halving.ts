/**
 * Successive halving's rungs (Jamieson and Talwalkar 2016): n candidates at a small epoch count,
 * the best third go on at three times the epochs, and so on until the last rung trains `epochs`.
 */
export interface Rung {
  /** Candidates at this rung. */
  candidates: number;
  /** The epoch count they are scored at. */
  epochs: number;
}

export const ETA = 3;

export function halvingRungs(n: number, epochs: number, eta = ETA): Rung[] {
  // As many rungs as thirds of n leave at least one candidate, and each a whole epoch or more.
  let count = 1;
  while (Math.floor(n / eta ** count) >= 1 && Math.floor(epochs / eta ** count) >= 1) count++;
  return Array.from({ length: count }, (_, r) => ({
    candidates: Math.max(1, Math.floor(n / eta ** r)),
    epochs: r === count - 1 ? epochs : Math.max(1, Math.round(epochs / eta ** (count - 1 - r))),
  }));
}

/** Epochs trained in all: each candidate's run extended to its last rung (one run serves every count). */
export function halvingEpochs(rungs: Rung[]): number {
  let total = 0;
  rungs.forEach((r, i) => {
    const leaving = r.candidates - (rungs[i + 1]?.candidates ?? 0);
    total += leaving * r.epochs;
  });
  return total;
}
