import type { Progress } from "../train/types.js";

/**
 * Seconds until every unit is trained, by list scheduling: each lane (a worker process, or a queue
 * worker) finishes its unit in flight, then takes the next queued unit when it is the first free.
 * A long run that only one lane can train weighs as it will, not spread over every lane. `rate` is
 * the training steps one lane does per second; null until there is one.
 */
export function etaSeconds(o: {
  rate: number;
  lanes: number;
  inFlight: number[];
  queued: number[];
}): number | null {
  if (!(o.rate > 0)) return null;
  const loads = o.inFlight.map((n) => Math.max(0, n));
  while (loads.length < Math.max(1, o.lanes)) loads.push(0);
  for (const q of o.queued) {
    let min = 0;
    for (let i = 1; i < loads.length; i++) if ((loads[i] as number) < (loads[min] as number)) min = i;
    loads[min] = (loads[min] as number) + q;
  }
  return Math.max(...loads) / o.rate;
}

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

/**
 * How a training pass of `cnnp run` is shown, over its tracker: the CLI gives a live display on a
 * terminal, plain lines otherwise.
 */
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
