import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { Display, Tracker } from "../run/progress.js";
import { clock } from "./clock.js";
import type { Io } from "./io.js";

/**
 * For a terminal: an overall bar (jobs done of all, training steps, elapsed time, ETA) and one bar
 * per busy slot (its run, epoch and batch). Finished jobs' lines scroll above the bars.
 */
export class LiveDisplay implements Display {
  private readonly bars: MultiBar;
  private readonly overall: SingleBar;
  private readonly slotBars = new Map<string, SingleBar>();
  seen = "";

  constructor(
    private readonly io: Io,
    readonly tracker: Tracker,
  ) {
    this.bars = new MultiBar(
      { stream: process.stderr, hideCursor: true, clearOnComplete: true, autopadding: true, fps: 5 },
      Presets.shades_classic,
    );
    this.overall = this.bars.create(
      tracker.total,
      0,
      { jobs: tracker.jobs, left: "…", seen: "" },
      {
        format: `{jobs}/${tracker.totalJobs} jobs [{bar}] {percentage}% · {duration_formatted} · ETA {left}{seen}`,
      },
    );
  }

  job(line: string) {
    if (process.stdout.isTTY) this.bars.log(`${line}\n`);
    else this.io.out(line);
  }

  note(line: string) {
    this.bars.log(`${line}\n`);
  }

  refresh() {
    const t = this.tracker;
    for (const [slot, bar] of this.slotBars)
      if (!t.slots.has(slot)) {
        this.bars.remove(bar);
        this.slotBars.delete(slot);
      }
    for (const [slot, s] of t.slots) {
      let bar = this.slotBars.get(slot);
      if (!bar) {
        bar = this.bars.create(
          1,
          0,
          { epoch: "…", epochs: "…" },
          { format: `  ${s.label} · epoch {epoch}/{epochs} [{bar}] batch {value}/{total}`, barsize: 20 },
        );
        this.slotBars.set(slot, bar);
      }
      if (s.progress) {
        bar.setTotal(s.progress.batches);
        bar.update(s.progress.batch, { epoch: s.progress.epoch, epochs: s.progress.epochs });
      }
    }
    const eta = t.eta();
    this.overall.setTotal(Math.max(1, t.total));
    this.overall.update(t.value, { jobs: t.jobs, left: eta === null ? "…" : clock(eta), seen: this.seen });
  }

  stop() {
    this.bars.stop();
  }
}
