import type { OkResult } from "../store/schema.js";
import type { Curve, LossTurn } from "./schema.js";
import { pairedP } from "./stats/index.js";

/** Each configuration's finished runs: their per-epoch records are all the curves need. */
type Runs = Pick<OkResult, "history">[][];

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Mean curves per configuration, over the repeats that reached each epoch. */
export function curvesOf(labels: string[], oks: Runs): Curve[] {
  /** The mean evaluation at an epoch, when every repeat there was evaluated. */
  const meanOf = (evals: ({ loss: number; accuracy: number } | null | undefined)[]) => {
    const got = evals.filter((v) => v != null);
    return got.length === evals.length
      ? { loss: mean(got.map((v) => v.loss)), accuracy: mean(got.map((v) => v.accuracy)) }
      : null;
  };
  return labels
    .map((label, i) => {
      const runs = oks[i] ?? [];
      const longest = Math.max(0, ...runs.map((r) => r.history.length));
      const epochs: Curve["epochs"] = [];
      for (let k = 0; k < longest; k++) {
        const at = runs.map((r) => r.history[k]).filter((h) => h !== undefined);
        epochs.push({
          epoch: k + 1,
          n: at.length,
          train: { loss: mean(at.map((h) => h.loss)), accuracy: mean(at.map((h) => h.accuracy)) },
          test: meanOf(at.map((h) => h.test)),
          val: meanOf(at.map((h) => h.val)),
        });
      }
      return { label, epochs };
    })
    .filter((c) => c.epochs.length > 0);
}

/**
 * In the longest curve (the first configuration with the most epochs), the epoch where the mean
 * test loss is lowest and the last epoch tested, with the paired t-test of the repeats' test losses
 * at the two; null with fewer than 3 epochs tested.
 */
export function lossTurnOf(labels: string[], oks: Runs, curves: Curve[]): LossTurn | null {
  const longest = [...curves].sort((a, b) => b.epochs.length - a.epochs.length)[0];
  if (!longest) return null;
  const tested = longest.epochs.filter((x) => x.test);
  if (tested.length < 3) return null;
  const best = tested.reduce((a, b) => ((b.test?.loss ?? 0) < (a.test?.loss ?? 0) ? b : a));
  const last = tested[tested.length - 1] as (typeof tested)[number];
  const runs = oks[labels.indexOf(longest.label)] ?? [];
  const pairs = runs.flatMap((r) => {
    const a = r.history[best.epoch - 1]?.test?.loss;
    const b = r.history[last.epoch - 1]?.test?.loss;
    return a !== undefined && b !== undefined ? [[a, b] as const] : [];
  });
  return {
    label: longest.label,
    tested: tested.length,
    bestEpoch: best.epoch,
    lastEpoch: last.epoch,
    bestLoss: best.test?.loss ?? 0,
    lastLoss: last.test?.loss ?? 0,
    trainAtBest: best.train.loss,
    trainAtLast: last.train.loss,
    n: pairs.length,
    p:
      last.epoch > best.epoch
        ? pairedP(
            pairs.map((x) => x[0]),
            pairs.map((x) => x[1]),
          )
        : null,
  };
}
