import type { EarlyStopping as Settings } from "../model/index.js";
import type { EpochRecord } from "./types.js";

/**
 * Keras' EarlyStopping callback (`keras/src/callbacks/early_stopping.py`), called at each epoch's
 * end: an epoch that improves the monitored value by more than `minDelta` resets the wait and never
 * stops training; any other epoch adds one to the wait, and training stops once the wait reaches
 * `patience` (after the first epoch). So patience 0 stops after the first epoch that does not
 * improve, patience 2 after the second in a row.
 */
export class EarlyStopping {
  private best: number;
  private wait = 0;
  private readonly higher: boolean;

  constructor(readonly settings: Settings) {
    this.higher = settings.monitor.endsWith("accuracy");
    this.best = this.higher ? -Infinity : Infinity;
  }

  private valueOf(r: EpochRecord): number | undefined {
    switch (this.settings.monitor) {
      case "loss":
        return r.loss;
      case "accuracy":
        return r.accuracy;
      case "val_loss":
        return r.val?.loss;
      case "val_accuracy":
        return r.val?.accuracy;
    }
  }

  /** Takes the record of epoch `r.epoch` (1-based); true when training should stop after it. */
  atEpochEnd(r: EpochRecord): boolean {
    const value = this.valueOf(r);
    if (value === undefined) return false;
    this.wait++;
    const d = Math.abs(this.settings.minDelta);
    if (this.higher ? value - d > this.best : value + d < this.best) {
      this.best = value;
      this.wait = 0;
      return false;
    }
    return this.wait >= this.settings.patience && r.epoch > 1;
  }
}
