import type { Display, Tracker } from "../run/progress.js";
import { clock } from "./clock.js";
import type { Io } from "./io.js";

const n = (x: number) => x.toLocaleString("en");

/**
 * For logs and CI: one line per finished job, and every `everySeconds` a progress line (jobs,
 * steps, elapsed, ETA, and each busy slot's epoch), so a long run is never silent.
 */
export class PlainDisplay implements Display {
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly io: Io,
    readonly tracker: Tracker,
    everySeconds: number,
  ) {
    if (everySeconds > 0) {
      this.timer = setInterval(() => this.io.err(this.line()), everySeconds * 1000);
      this.timer.unref();
    }
  }

  /** The progress line. */
  line(): string {
    const t = this.tracker;
    const eta = t.eta();
    const pct = Math.min(100, Math.floor((100 * t.value) / Math.max(1, t.total)));
    const busy = [...t.slots.values()].map(
      (s) => `${s.label}: epoch ${s.progress ? `${s.progress.epoch}/${s.progress.epochs}` : "…"}`,
    );
    return [
      `progress: ${n(t.jobs)} of ${n(t.totalJobs)} jobs done`,
      `${n(t.value)} of ${n(t.total)} steps (${pct}%)`,
      `${clock(t.elapsed())} elapsed`,
      `ETA ${eta === null ? "…" : clock(eta)}`,
      ...busy,
    ].join(" · ");
  }

  job(line: string) {
    this.io.out(line);
  }
  note(line: string) {
    this.io.err(line);
  }
  refresh() {}
  stop() {
    if (this.timer) clearInterval(this.timer);
  }
}
