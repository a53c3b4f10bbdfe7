import { afterEach, describe, expect, it, vi } from "vitest";
import { PlainDisplay } from "../../src/cli/plain-display.js";
import type { Plan } from "../../src/plan/types.js";
import { etaSeconds, Tracker } from "../../src/run/progress.js";
import { PassReporter } from "../../src/run/reporter.js";
import type { ResultFile } from "../../src/store/schema.js";

afterEach(() => vi.useRealTimers());

describe("the ETA of cnnp run", () => {
  it("schedules queued runs on the first free worker and waits for the longest", () => {
    // One lane at 10 steps/s: everything in a row.
    expect(etaSeconds({ rate: 10, lanes: 1, inFlight: [100], queued: [50, 50] })).toBe(20);
    // Two lanes: 100 | 50 + 50.
    expect(etaSeconds({ rate: 10, lanes: 2, inFlight: [100], queued: [50, 50] })).toBe(10);
    // A long run alone at the end keeps one lane busy: not (900 + 0) / 2 lanes.
    expect(etaSeconds({ rate: 10, lanes: 2, inFlight: [900], queued: [] })).toBe(90);
    expect(etaSeconds({ rate: 0, lanes: 2, inFlight: [900], queued: [] })).toBeNull();
  });

  it("counts the epochs still to come of a long run that only one worker can train", () => {
    vi.useFakeTimers();
    const t = new Tracker(
      2,
      [
        { key: "long", steps: 1000 },
        { key: "short", steps: 100 },
      ],
      0,
      2,
    );
    t.started("1", "long", "long run", 1000);
    t.started("2", "short", "short run", 100);
    // 10 s on both workers: 10 steps/s each; the short run is over.
    vi.advanceTimersByTime(10_000);
    t.progress("1", { epoch: 1, epochs: 10, batch: 100, batches: 100 });
    t.progress("2", { epoch: 1, epochs: 1, batch: 100, batches: 100 });
    t.ended("2", 1);
    // 900 steps left on one worker at 10 steps/s: 90 s (steps left over both workers' rate says 45 s).
    expect(t.eta()).toBeCloseTo(90, 5);
    expect(t.value).toBe(200);
    expect(t.total).toBe(1100);
  });
});

describe("the progress of cnnp run", () => {
  it("counts the jobs done before from its first line, and has the display redraw them", () => {
    const t = new Tracker(15, [{ key: "r", steps: 100 }], 0, 2);
    const lines: string[] = [];
    const display = new PlainDisplay({ out: (l) => lines.push(l), err: () => {}, color: false }, t, 0);
    const reporter = new PassReporter({ experiments: [] } as unknown as Plan, display, {
      json: false,
      trainCount: 0,
    });
    const before = Array.from(
      { length: 12 },
      (_, i) => ({ job: `j${i}`, status: "ok" }) as unknown as ResultFile,
    );
    let redrawn = 0;
    display.refresh = () => {
      redrawn++;
    };
    reporter.report(before, "done before: ", null, true);
    expect(display.line()).toMatch(/^progress: 12 of 15 jobs done · 0 of 100 steps/);
    expect(redrawn).toBe(1);
    display.stop();
  });
});
