import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { Progress } from "../train/types.js";
import { clock, etaSeconds } from "./eta.js";
import type { Io } from "./io.js";

/** A unit still to train, by its run id, with the training steps it is planned to take. */
export interface Planned {
  key: string;
  steps: number;
}

interface Slot {
  key: string;
  label: string;
  planned: number;
  done: number;
  progress: Progress | null;
}

/**
 * What `cnnp run` knows of its progress, shared by both displays: jobs done, training steps done of
 * all, the units in flight and still queued, and an ETA that accounts for the epochs still to come
 * of every unit (see etaSeconds).
 */
export class Tracker {
  readonly slots = new Map<string, Slot>();
  private readonly queued = new Map<string, number>();
  /** Steps done and kept, for the bar. */
  value = 0;
  /** Steps planned in all (less what ended early or was done elsewhere). */
  total: number;
  jobs: number;
  /** Steps trained by this run, ever (for the rate: a dropped unit's steps still took time). */
  private trained = 0;
  private laneSeconds = 0;
  private last = Date.now();
  readonly startedAt = Date.now();

  constructor(
    readonly totalJobs: number,
    units: Planned[],
    doneBefore: number,
    /** How many units can train at once (workers); queues update it as workers join. */
    public lanes: number,
  ) {
    for (const u of units) this.queued.set(u.key, u.steps);
    this.total = Math.max(
      1,
      units.reduce((n, u) => n + u.steps, 0),
    );
    this.jobs = doneBefore;
  }

  /** Counts the time the busy slots spent since the last look. */
  private tick(): void {
    const now = Date.now();
    this.laneSeconds += ((now - this.last) / 1000) * this.slots.size;
    this.last = now;
  }

  started(slot: string, key: string, label: string, planned: number): void {
    this.tick();
    this.ended(slot, 0);
    this.queued.delete(key);
    this.slots.set(slot, { key, label, planned, done: 0, progress: null });
  }

  progress(slot: string, p: Progress): void {
    this.tick();
    const s = this.slots.get(slot);
    if (!s) return;
    const done = (p.epoch - 1) * p.batches + p.batch;
    this.value += done - s.done;
    this.trained += Math.max(0, done - s.done);
    s.done = done;
    s.progress = p;
  }

  /** The slot's unit is over, with `jobsDone` jobs: steps it did not take (early stop) leave the total. */
  ended(slot: string, jobsDone: number): void {
    this.tick();
    this.jobs += jobsDone;
    const s = this.slots.get(slot);
    if (!s) return;
    this.total -= Math.max(0, s.planned - s.done);
    this.slots.delete(slot);
  }

  /** The slot's unit went back to a queue: it will be trained again from the start. */
  dropped(slot: string): void {
    this.tick();
    const s = this.slots.get(slot);
    if (!s) return;
    this.value -= s.done;
    this.queued.set(s.key, s.planned);
    this.slots.delete(slot);
  }

  /** Jobs another cnnp run finished; when it finished the whole unit, its steps leave the total. */
  elsewhere(key: string, jobs: number, whole: boolean): void {
    this.jobs += jobs;
    if (!whole) return;
    this.total -= this.queued.get(key) ?? 0;
    this.queued.delete(key);
  }

  /** Seconds left, or null before the first steps. */
  eta(): number | null {
    this.tick();
    return etaSeconds({
      rate: this.trained / Math.max(this.laneSeconds, 1e-3),
      lanes: this.lanes,
      inFlight: [...this.slots.values()].map((s) => s.planned - s.done),
      queued: [...this.queued.values()],
    });
  }

  elapsed(): number {
    return (Date.now() - this.startedAt) / 1000;
  }
}

/** How `cnnp run` shows what it does: a live display on a terminal, plain lines otherwise. */
export interface Display {
  readonly tracker: Tracker;
  /** A finished job's line (stdout). */
  job(line: string): void;
  /** A message (stderr). */
  note(line: string): void;
  /** Redraws after the tracker changed. */
  refresh(): void;
  stop(): void;
}

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
