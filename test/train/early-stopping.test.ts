import { describe, expect, it } from "vitest";
import type { Monitor } from "../../src/model/index.js";
import { EarlyStopping } from "../../src/train/early-stopping.js";
import type { EpochRecord } from "../../src/train/types.js";

/** The epoch (1-based) after which training stops, or null when it runs to the end. */
function stopsAfter(values: number[], monitor: Monitor, patience: number, minDelta = 0): number | null {
  const es = new EarlyStopping({ monitor, patience, minDelta });
  for (const [i, v] of values.entries()) {
    const epoch = i + 1;
    const val = { loss: v, accuracy: v, seconds: 0 };
    const r: EpochRecord = { epoch, loss: v, accuracy: v, val, test: null, seconds: 0 };
    if (es.atEpochEnd(r)) return epoch;
  }
  return null;
}

// Each expectation is Keras' rule worked by hand, epoch by epoch: wait += 1; an improvement
// (value + min_delta < best for losses, value - min_delta > best for accuracies) sets best and
// wait = 0 and never stops; otherwise stop once wait >= patience.
describe("early stopping follows Keras' EarlyStopping epoch by epoch", () => {
  // Falls for 3 epochs, rises at 4, falls to a new best at 5, then rises twice, then a new best.
  const loss = [2.18, 1.82, 1.5, 1.6, 1.4, 1.45, 1.46, 1.3];

  it("patience 0 keeps going while the loss falls and stops after the first epoch that does not improve", () => {
    // The defect: it stopped after epoch 2 while the loss fell from 2.18 to 1.82.
    expect(stopsAfter([2.18, 1.82, 1.5], "loss", 0)).toBeNull();
    expect(stopsAfter(loss, "loss", 0)).toBe(4);
  });

  it("patience 1 stops after one epoch without improvement", () => {
    expect(stopsAfter(loss, "loss", 1)).toBe(4);
  });

  it("patience 2 waits out one bad epoch and stops after two in a row", () => {
    // 4 waits 1; 5 improves (wait 0); 6 waits 1; 7 waits 2: stop.
    expect(stopsAfter(loss, "loss", 2)).toBe(7);
    expect(stopsAfter([3, 2, 2.5, 1.9, 2.0, 1.8], "loss", 2)).toBeNull();
  });

  it("min_delta: a fall smaller than it is no improvement", () => {
    // 2: 1.82 + 0.35 = 2.17 < 2.18 improves; 3: 1.5 + 0.35 = 1.85, not < 1.82, waits 1.
    expect(stopsAfter(loss, "loss", 0, 0.35)).toBe(3);
    expect(stopsAfter(loss, "loss", 1, 0.35)).toBe(3);
    // 4: 1.95, not < 1.82, waits 2.
    expect(stopsAfter(loss, "loss", 2, 0.35)).toBe(4);
    // Keras takes the magnitude: a negative min_delta acts as a positive one.
    expect(stopsAfter(loss, "loss", 0, -0.35)).toBe(3);
  });

  it("an accuracy improves upwards", () => {
    const acc = [0.5, 0.6, 0.65, 0.64, 0.7, 0.69, 0.69];
    expect(stopsAfter(acc, "accuracy", 0)).toBe(4);
    expect(stopsAfter(acc, "val_accuracy", 1)).toBe(4);
    expect(stopsAfter(acc, "accuracy", 2)).toBe(7);
    // min_delta 0.02: 3 (+0.05) improves, 5 (+0.05 over 0.65) improves; 4 and 6 wait.
    expect(stopsAfter(acc, "accuracy", 1, 0.02)).toBe(4);
    expect(stopsAfter([0.5, 0.51, 0.6], "accuracy", 0, 0.02)).toBe(2);
  });

  it("an equal value is no improvement", () => {
    expect(stopsAfter([1, 1], "val_loss", 0)).toBe(2);
  });
});
