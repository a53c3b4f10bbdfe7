import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile.js";
import { plan } from "../../src/plan/plan.js";
import type { Job, Plan } from "../../src/plan/types.js";
import { buildStudy } from "../../src/report/build.js";
import { answersFromResults } from "../../src/run/answers.js";
import { planWithAnswers } from "../../src/run/resolve.js";
import type { OkResult } from "../../src/store/schema.js";
import type { Stored } from "../../src/store/store.js";

/** Three experiments, one per kind of question the answers work out. */
const source = `data fashion_mnist train 320 test 128
model small = conv4 pool flatten dense16 dense10
repeat 3

experiment "Fewest maps" {
  sweep maps [2, 4, 8, 16]
  find min maps where test.accuracy >= 0.8
}

experiment "Best rate" {
  sweep learning_rate [0.01, 0.05, 0.1]
  find best learning_rate by test.loss
}

experiment "Best epoch" {
  epochs 6
  validation_split 0.25
  evaluate_every 1
  find best epoch by val.loss
}
`;

/** A number in [0, 1) from a job id and a salt, the same every time. */
function noise(id: string, salt: number): number {
  let h = 2166136261 ^ salt;
  for (const c of id) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return ((h >>> 0) % 10_000) / 10_000;
}

/** A finished job with made-up figures: better with more maps, a U-shaped validation curve. */
function resultOf(job: Job, p: Plan, opts: { valEvery?: number | "by repeat"; failed?: boolean }): Stored {
  const e = p.experiments.find((x) => x.number === job.experiment);
  const values = e?.configurations[job.configuration]?.values ?? {};
  const maps = typeof values.maps === "number" ? values.maps : 8;
  const accuracy = Math.min(0.99, 0.6 + 0.025 * maps + 0.02 * noise(job.id, 1));
  const evaluation = (loss: number, acc: number) => ({ loss, accuracy: acc, seconds: 0.1 });
  const turn = 2 + Math.floor(3 * noise(job.id, 2));
  const every = opts.valEvery === "by repeat" ? 2 + job.repeat : opts.valEvery;
  const history = Array.from({ length: job.epochs }, (_, k) => ({
    epoch: k + 1,
    loss: 1 / (k + 1),
    accuracy,
    val:
      every && (k + 1) % every !== 0
        ? null
        : evaluation(0.5 + 0.05 * Math.abs(k + 1 - turn) + 0.01 * noise(job.id, k), accuracy),
    test: k + 1 === job.epochs ? evaluation(1 - accuracy, accuracy) : null,
    seconds: 1,
  }));
  const common = {
    schema: 1,
    job: job.id,
    run: job.run,
    experiment: job.experiment,
    configuration: job.configuration,
    repeat: job.repeat,
    seed: job.seed,
    epochs: job.epochs,
    finishedAt: "2024-01-01T00:00:00.000Z",
    data: { dir: "/data", checksum: "c", official: true },
    source: { file: "answers.cnnp", git: null },
  };
  if (opts.failed)
    return { kind: "valid", result: { ...common, status: "failed", error: "out of memory" } } as Stored;
  const ok = {
    ...common,
    status: "ok",
    epochsTrained: job.epochs,
    stoppedEpoch: null,
    history,
    test: evaluation(1 - accuracy + 0.1 * noise(job.id, 3), accuracy),
    train: { loss: 0.3, accuracy },
    val: history[history.length - 1]?.val ?? null,
    time: { train: 10 + noise(job.id, 4), perEpoch: 2, perSample: 0.001 },
    samples: { train: 240, val: 80, test: 128 },
    backend: { name: "wasm", tfjsBackend: "wasm", versions: {}, detail: "" },
    host: { hostname: "h", cpu: "c", cores: 2, memoryGiB: 4, os: "linux", node: "20", cnnp: "0", gpus: [] },
  } as unknown as OkResult;
  return { kind: "valid", result: ok };
}

/** Every job's result under a scenario: `skip` leaves a job without one, `fail` makes it a failure. */
function resultsOf(
  p: Plan,
  o: {
    skip?: (j: Job, i: number) => boolean;
    fail?: (j: Job, i: number) => boolean;
    valEvery?: number | "by repeat";
  },
) {
  const results = new Map<string, Stored>();
  p.experiments
    .flatMap((e) => e.jobs)
    .forEach((j, i) => {
      // A job two experiments share is one job, with one result (as its first experiment has it).
      if (results.has(j.id)) return;
      if (o.skip?.(j, i)) results.set(j.id, { kind: "missing" });
      else results.set(j.id, resultOf(j, p, { valEvery: o.valEvery, failed: o.fail?.(j, i) }));
    });
  return results;
}

const compiled = compile(source, "answers.cnnp");
const p = plan(compiled.pipeline ?? (undefined as never));

const scenarios: Record<string, Parameters<typeof resultsOf>[1]> = {
  "every job finished": {},
  "some jobs without a result": { skip: (_, i) => i % 5 === 0 },
  "some jobs failed": { fail: (_, i) => i % 4 === 1 },
  "validation every other epoch": { valEvery: 2 },
  // Every 2nd, 3rd and 4th epoch in the three repeats: no epoch where all three have it.
  "validation at other epochs in each repeat": { valEvery: "by repeat" },
  "no results at all": { skip: () => true },
};

describe("the answers of finished experiments", () => {
  it("compiles and plans the pipeline of the cases", () => {
    expect(compiled.diagnostics).toEqual([]);
    expect(p.experiments.map((e) => e.questions.length)).toEqual([1, 1, 1]);
  });

  for (const [name, scenario] of Object.entries(scenarios))
    it(`are the ones the report gives, ${name}`, async () => {
      const results = resultsOf(p, scenario);
      const lookup = (id: string) => results.get(id) ?? ({ kind: "missing" } as const);
      const study = await buildStudy(p, source, results, { now: new Date(0) });
      p.experiments.forEach((e, i) => {
        const run = [...answersFromResults(e, lookup)].map(([target, a]) => [target, a.value, a.detail]);
        const report = (study.experiments[i]?.answers ?? []).map((a) => [a.target, a.value, a.detail]);
        expect(run).toEqual(report);
      });
    });

  it("give the values other experiments use once every job has a result", () => {
    const results = resultsOf(p, {});
    const lookup = (id: string) => results.get(id) ?? ({ kind: "missing" } as const);
    const [maps, rate, epoch] = p.experiments.map((e) => answersFromResults(e, lookup));
    // More maps, more accuracy: 8 maps reach 0.8 (0.80 to 0.82), 4 do not (0.70 to 0.72).
    expect(maps?.get("maps")).toEqual({
      value: 8,
      detail: "the smallest maps whose mean test accuracy is >= 0.8, mean of 3 runs",
    });
    expect(rate?.get("learning_rate")?.detail).toBe("the best learning_rate by test loss, mean of 3 runs");
    expect(epoch?.get("epoch")?.value).toEqual(expect.any(Number));
    expect(epoch?.get("epoch")?.detail).toBe("the best epoch by validation loss, mean of 3 runs");
  });

  it("give no best epoch when no epoch has every repeat's validation loss", () => {
    const results = resultsOf(p, { valEvery: "by repeat" });
    const lookup = (id: string) => results.get(id) ?? ({ kind: "missing" } as const);
    const best = p.experiments[2] && answersFromResults(p.experiments[2], lookup).get("epoch");
    expect(best).toEqual({ value: null, detail: "no validation loss recorded per epoch yet" });
  });

  it("give no value while a job has no result", () => {
    const results = resultsOf(p, { skip: (j) => j.repeat === 0 });
    const lookup = (id: string) => results.get(id) ?? ({ kind: "missing" } as const);
    for (const e of p.experiments)
      for (const a of answersFromResults(e, lookup).values()) expect(a.value).toBeNull();
  });
});

describe("a search's answers", () => {
  const text = `data fashion_mnist train 320 test 128
model small = conv4 pool flatten dense16 dense10
experiment "Tuning" {
  sweep learning_rate log [0.001..0.3]
  search tpe 14 by test.accuracy
}
`;
  it("wait until the search has all its candidates, then are the best candidate's settings", () => {
    // Planned without scores, a TPE search knows only its 10 random candidates.
    const partial = plan(compile(text, "s.cnnp").pipeline ?? (undefined as never));
    const early = partial.experiments[0];
    if (!early) throw new Error("no experiment");
    expect(early.configurations).toHaveLength(10);
    const results = resultsOf(partial, {});
    const lookup = (id: string) => results.get(id) ?? ({ kind: "missing" } as const);
    expect(answersFromResults(early, lookup).get("learning_rate")).toEqual({
      value: null,
      detail: "the search has 10 of its 14 candidates",
    });
    // With scores for those 10, it proposes the other 4; once they finish, the answer is the best.
    const scores = early.configurations.map((_, i) => -i / 10);
    const full = plan(
      compile(text, "s.cnnp", new Map(), new Map([["Tuning", scores]])).pipeline ?? (undefined as never),
    );
    const done = full.experiments[0];
    if (!done) throw new Error("no experiment");
    expect(done.configurations).toHaveLength(14);
    const all = resultsOf(full, {});
    const answer = answersFromResults(done, (id) => all.get(id) ?? { kind: "missing" }).get("learning_rate");
    const accuracy = (c: number) =>
      done.jobs
        .filter((j) => j.configuration === c)
        .map((j) => {
          const s = all.get(j.id);
          return s?.kind === "valid" && s.result.status === "ok" ? s.result.test.accuracy : Number.NaN;
        })[0] ?? Number.NaN;
    const best = done.configurations.reduce((a, c) => (accuracy(c.index) > accuracy(a.index) ? c : a));
    expect(answer?.value).toBe(best.values.learning_rate);
  });
});

describe("a search planned again with its results", () => {
  const text = `data fashion_mnist train 320 test 128
model small = conv4 pool flatten dense16 dense10
experiment "Tuning" {
  repeat 2
  sweep learning_rate log [0.001..0.3]
  search tpe 24 by test.accuracy
}
experiment "Then" {
  repeat 1
  learning_rate from "Tuning"
}
`;
  /**
   * Plans with results for every job, as `cnnp run` does once all are trained. `fail` picks the
   * jobs that fail; `flatter` those whose test accuracy is made the best of all.
   */
  const resolved = (fail?: (lr: number, repeat: number) => boolean, flatter?: (lr: number) => boolean) => {
    const store = new Map<string, Stored>();
    const planOf = (pipeline: Parameters<typeof plan>[0]) => {
      const p = plan(pipeline);
      for (const j of p.experiments.flatMap((e) => e.jobs)) {
        if (store.has(j.id)) continue;
        const lr = rateOf(j, p);
        const s = resultOf(j, p, { failed: fail?.(lr, j.repeat) });
        if (s.kind === "valid" && s.result.status === "ok" && flatter?.(lr)) s.result.test.accuracy = 0.999;
        store.set(j.id, s);
      }
      return { plan: p, lookup: (id: string) => store.get(id) ?? ({ kind: "missing" } as const) };
    };
    return planWithAnswers(compile(text, "s.cnnp"), planOf).planned?.plan;
  };

  it("proposes every batch of a TPE search of 24 and then answers the experiment that uses it", () => {
    const [tuning, then] = resolved()?.experiments ?? [];
    expect(tuning?.configurations).toHaveLength(24);
    expect(then?.waiting.configurations).toBe(0);
    expect(then?.configurations[0]?.uses[0]?.from.resolved).toBe(true);
  });

  it("answers though a candidate failed in every repeat, and never with a candidate that failed in one", () => {
    // Above 0.1 both repeats fail (a loss gone NaN, say); from 0.03 to 0.1 the first fails and
    // the second scores best of all.
    const p = resolved(
      (lr, repeat) => lr > 0.1 || (lr > 0.03 && repeat === 0),
      (lr) => lr > 0.03,
    );
    const [tuning, then] = p?.experiments ?? [];
    const rates = tuning?.configurations.map((c) => c.values.learning_rate as number) ?? [];
    expect(rates.some((r) => r > 0.1)).toBe(true);
    expect(rates.some((r) => r > 0.03 && r <= 0.1)).toBe(true);
    expect(rates).toHaveLength(24);
    const used = then?.configurations[0]?.uses[0];
    expect(used?.from.resolved).toBe(true);
    expect(used?.value).toBeLessThanOrEqual(0.03);
  });
});

/** The learning rate of a job's configuration, for picking failures by it. */
function rateOf(j: Job, p: Plan): number {
  const e = p.experiments.find((x) => x.number === j.experiment);
  const v = e?.configurations[j.configuration]?.values.learning_rate;
  return typeof v === "number" ? v : 0.01;
}
