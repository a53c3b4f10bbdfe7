import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { Io } from "../cli/io.js";
import type { Progress } from "../train/types.js";

/** How `cnnp run` shows what it does: a live display on a terminal, plain lines otherwise. */
export interface Display {
  /** A finished job's line (stdout). */
  job(line: string): void;
  /** A message (stderr). */
  note(line: string): void;
  /** A unit started on a slot (a local worker process, or a queued run): its bar's label. */
  started(slot: string, label: string, plannedBatches: number): void;
  progress(slot: string, p: Progress): void;
  /** The slot's unit is over; `plannedBatches` it had, of which it trained some. */
  ended(slot: string, jobsDone: number): void;
  /** The slot's unit went back to a queue: its steps so far will be trained again. */
  dropped(slot: string): void;
  /** The cnnp workers seen on a queue. */
  workers(names: string[]): void;
  /** Jobs another cnnp run finished, and the training steps this one no longer has to do. */
  elsewhere(jobs: number, batches: number): void;
  stop(): void;
}

/** For logs and CI: one line per finished job, nothing in between. */
export class PlainDisplay implements Display {
  constructor(private readonly io: Io) {}
  job(line: string) {
    this.io.out(line);
  }
  note(line: string) {
    this.io.err(line);
  }
  started() {}
  progress() {}
  ended() {}
  dropped() {}
  workers(names: string[]) {
    this.io.err(`worker ${names[names.length - 1]} joined (${names.length} seen)`);
  }
  elsewhere() {}
  stop() {}
}

/** Seconds as 45s, 12m05s or 3h20m. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

interface Slot {
  bar: SingleBar;
  planned: number;
  done: number;
}

/**
 * For a terminal: an overall bar (jobs done of all, training steps, elapsed time, ETA) and one bar
 * per busy worker (its run, epoch and batch). Finished jobs' lines scroll above the bars.
 */
export class LiveDisplay implements Display {
  private readonly bars: MultiBar;
  private readonly overall: SingleBar;
  private readonly slots = new Map<string, Slot>();
  private value = 0;
  private total: number;
  private jobs = 0;
  private seen = "";
  private readonly startedAt = Date.now();

  constructor(
    private readonly io: Io,
    totalJobs: number,
    plannedBatches: number,
    doneBefore: number,
  ) {
    this.total = Math.max(1, plannedBatches);
    this.jobs = doneBefore;
    this.bars = new MultiBar(
      {
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
        autopadding: true,
        etaBuffer: 100,
        fps: 5,
      },
      Presets.shades_classic,
    );
    this.overall = this.bars.create(
      this.total,
      0,
      { jobs: this.jobs, left: "…", seen: "" },
      {
        format: `{jobs}/${totalJobs} jobs [{bar}] {percentage}% · {duration_formatted} · ETA {left}{seen}`,
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

  started(slot: string, label: string, plannedBatches: number) {
    this.ended(slot, 0);
    const bar = this.bars.create(
      1,
      0,
      { epoch: "…", epochs: "…" },
      {
        format: `  ${label} · epoch {epoch}/{epochs} [{bar}] batch {value}/{total}`,
        barsize: 20,
      },
    );
    this.slots.set(slot, { bar, planned: plannedBatches, done: 0 });
  }

  progress(slot: string, p: Progress) {
    const s = this.slots.get(slot);
    if (!s) return;
    s.bar.setTotal(p.batches);
    s.bar.update(p.batch, { epoch: p.epoch, epochs: p.epochs });
    const done = (p.epoch - 1) * p.batches + p.batch;
    this.value += done - s.done;
    s.done = done;
    this.refresh();
  }

  ended(slot: string, jobsDone: number) {
    const s = this.slots.get(slot);
    this.jobs += jobsDone;
    if (s) {
      // Early stopping or a failure leaves planned steps untrained: they no longer count.
      this.total -= Math.max(0, s.planned - s.done);
      this.bars.remove(s.bar);
      this.slots.delete(slot);
    }
    this.overall.setTotal(Math.max(1, this.total));
    this.refresh();
  }

  dropped(slot: string) {
    const s = this.slots.get(slot);
    if (!s) return;
    this.value -= s.done;
    this.bars.remove(s.bar);
    this.slots.delete(slot);
    this.refresh();
  }

  workers(names: string[]) {
    this.seen = ` · ${names.length} worker${names.length === 1 ? "" : "s"} seen`;
    this.note(`worker ${names[names.length - 1]} joined`);
    this.refresh();
  }

  /** Jobs finished by another cnnp run count as done, and their steps leave the total. */
  elsewhere(jobs: number, batches: number) {
    this.jobs += jobs;
    this.total -= batches;
    this.overall.setTotal(Math.max(1, this.total));
    this.refresh();
  }

  /** The overall bar, with an ETA from the steps trained so far since the start. */
  private refresh() {
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const rate = this.value / Math.max(elapsed, 1e-3);
    const left = this.value > 0 ? clock((this.total - this.value) / rate) : "…";
    this.overall.update(this.value, { jobs: this.jobs, left, seen: this.seen });
  }

  stop() {
    this.bars.stop();
  }
}
