import { plannedBatches } from "../execute/pending.js";
import type { RunEvent } from "../execute/types.js";
import type { Job, Plan, Unit } from "../plan/types.js";
import type { ResultFile } from "../store/schema.js";
import { JobNames, plural, resultLine } from "./lines.js";
import type { Display } from "./progress.js";

/**
 * One training pass as it is shown: counts jobs, hands the display a line per finished job and
 * keeps its tracker up to date from the orchestrator's events.
 */
export class PassReporter {
  done = 0;
  failed = 0;
  /** Jobs whose back end did not load on this host: not failures, shown apart. */
  unavailable = 0;
  private readonly names: JobNames;
  private readonly jobs = new Map<string, Job>();
  private readonly notices = new Set<string>();

  constructor(
    p: Plan,
    private readonly display: Display,
    private readonly opts: { json: boolean; trainCount: number },
  ) {
    this.names = new JobNames(p);
    for (const e of p.experiments) for (const j of e.jobs) if (!this.jobs.has(j.id)) this.jobs.set(j.id, j);
  }

  label(u: Unit): string {
    const first = u.jobs[0] as Job;
    return `${this.names.of(first, false)}${u.jobs.length > 1 ? ` (${u.jobs.length} jobs)` : ""}`;
  }

  /** Finished jobs' lines: `how` says where they came from ("done before: "...). */
  report(files: ResultFile[], how = "", worker: string | null = null, quiet = false): void {
    for (const f of files) {
      this.done++;
      if (f.status === "failed" && f.unavailable) this.unavailable++;
      else if (f.status === "failed") this.failed++;
      if (quiet) continue;
      const job = this.jobs.get(f.job);
      const on = worker && f.status === "ok" ? ` · on ${worker}` : "";
      const counter = `[${this.done}/${this.display.tracker.totalJobs}]`;
      if (this.opts.json) this.display.job(JSON.stringify(f));
      else this.display.job(`${counter} ${job ? this.names.of(job) : f.job}: ${how}${resultLine(f)}${on}`);
    }
    // The progress line counts them from the start, those done before included.
    this.display.tracker.jobs = this.done;
    this.display.refresh();
  }

  /** Handles one event of the orchestrator. */
  on(e: RunEvent): void {
    const t = this.display.tracker;
    switch (e.type) {
      case "notice":
        if (!this.notices.has(e.text)) {
          this.notices.add(e.text);
          this.display.note(e.text);
        }
        return;
      case "started": {
        const who = e.worker ?? `worker ${e.slot}`;
        t.started(e.slot, e.unit.run.id, `${who} · ${this.label(e.unit)}`, this.steps(e.unit));
        break;
      }
      case "progress":
        t.progress(e.slot, e.progress);
        break;
      case "finished":
        t.ended(e.slot, 0);
        this.report(e.files, e.away ? "collected from the queue: " : "", e.worker);
        break;
      case "requeued":
        t.dropped(e.slot);
        break;
      case "workers":
        t.lanes = Math.max(1, e.names.length);
        this.display.note(`worker ${e.names[e.names.length - 1]} joined (${e.names.length} seen)`);
        break;
      case "elsewhere":
        t.elsewhere(e.unit.run.id, 0, e.files.length === e.unit.jobs.length);
        this.report(e.files, "done by another cnnp run: ");
        break;
      case "waiting": {
        const h = e.held[0]?.holder;
        this.display.note(
          `waiting for ${plural(e.held.length, "training run")} that another cnnp run is training${h && h.pid > 0 ? ` (pid ${h.pid} on ${h.host}, since ${h.since})` : ""}`,
        );
        break;
      }
    }
    this.display.refresh();
  }

  /** The pass is over: the display stops. */
  stop(): void {
    this.display.stop();
  }

  steps(u: Unit): number {
    return plannedBatches(u, this.opts.trainCount);
  }
}
