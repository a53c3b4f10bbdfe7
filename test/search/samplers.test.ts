import { describe, expect, it } from "vitest";
import {
  candidatePoint,
  decode,
  encode,
  halvingEpochs,
  halvingRungs,
  type Observation,
  type Space,
  STARTUP,
  tpePoint,
} from "../../src/search/index.js";
import { Categorical, Parzen } from "../../src/search/parzen.js";
import { Rng } from "../../src/util/rng.js";

const space: Space = [
  { name: "learning_rate", kind: "range", lo: 0.001, hi: 0.3, log: true, integer: false },
  { name: "momentum", kind: "range", lo: 0, hi: 0.95, log: false, integer: false },
  { name: "batch", kind: "list", values: [16, 32, 64] },
  { name: "maps", kind: "range", lo: 8, hi: 64, log: false, integer: true },
];

describe("a search space", () => {
  it("decodes unit coordinates on a log scale (four significant digits), whole numbers for integer ranges, and list items", () => {
    expect(decode(space, [0, 0, 0, 0])).toEqual({ learning_rate: 0.001, momentum: 0, batch: 16, maps: 8 });
    expect(decode(space, [1, 1, 2, 1])).toEqual({ learning_rate: 0.3, momentum: 0.95, batch: 64, maps: 64 });
    // The middle of a log range is the geometric mean, to the four significant digits kept.
    expect(decode(space, [0.5, 0.5, 1, 0.5]).learning_rate).toBe(
      Number(Math.sqrt(0.001 * 0.3).toPrecision(4)),
    );
    expect(Number.isInteger(decode(space, [0.3, 0.3, 1, 0.37]).maps)).toBe(true);
    const c = decode(space, [0.25, 0.6, 2, 0.5]);
    expect(decode(space, encode(space, c))).toEqual(c);
  });
});

describe("the Parzen estimators", () => {
  it("are densities on [0, 1] (they integrate to 1) that peak where the observations are", () => {
    const p = new Parzen([0.2, 0.22, 0.25]);
    let area = 0;
    const steps = 20000;
    for (let i = 0; i < steps; i++) area += p.density((i + 0.5) / steps) / steps;
    expect(area).toBeCloseTo(1, 3);
    expect(p.density(0.22)).toBeGreaterThan(3 * p.density(0.8));
    const rng = new Rng(1);
    const draws = Array.from({ length: 4000 }, () => p.sample(() => rng.next()));
    expect(draws.every((x) => x >= 0 && x <= 1)).toBe(true);
    expect(draws.filter((x) => x < 0.4).length / draws.length).toBeGreaterThan(0.6);
    const cat = new Categorical([2, 2, 1], 3);
    expect(cat.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(cat.density(2)).toBeGreaterThan(cat.density(1));
    expect(cat.density(1)).toBeGreaterThan(cat.density(0));
  });
});

describe("TPE", () => {
  /** A bowl with its minimum at learning rate 0.03 and momentum 0.9, batch 32. */
  const bowl = (c: Record<string, unknown>) =>
    (Math.log10(c.learning_rate as number) - Math.log10(0.03)) ** 2 +
    ((c.momentum as number) - 0.9) ** 2 +
    (c.batch === 32 ? 0 : 0.5);

  function run(strategy: "random" | "tpe", seed: number, n = 40): Observation[] {
    const obs: Observation[] = [];
    for (let k = 0; k < n; k++) {
      const point = candidatePoint(space, strategy, k, obs, seed);
      obs.push({ point, score: bowl(decode(space, point)) });
    }
    return obs;
  }

  it("gives the same candidates for the same seed and observations, and others for another seed", () => {
    expect(run("tpe", 5)).toEqual(run("tpe", 5));
    expect(run("tpe", 6).map((o) => o.point)).not.toEqual(run("tpe", 5).map((o) => o.point));
    const obs = run("tpe", 5, 15);
    expect(tpePoint(space, obs, seeded(3))).toEqual(tpePoint(space, obs, seeded(3)));
  });

  it("starts random, then proposes near the best candidates: its later candidates score better than random search's", () => {
    let tpeBetter = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const t = run("tpe", seed);
      const r = run("random", seed);
      // The first STARTUP candidates are the same uniform draws.
      expect(t.slice(0, STARTUP)).toEqual(r.slice(0, STARTUP));
      const late = (o: Observation[]) => o.slice(STARTUP).reduce((s, x) => s + x.score, 0);
      if (late(t) < late(r)) tpeBetter++;
    }
    expect(tpeBetter).toBeGreaterThanOrEqual(9);
  });
});

function seeded(seed: number) {
  const rng = new Rng(seed);
  return () => rng.next();
}

describe("successive halving's rungs", () => {
  it("go from n candidates at a few epochs to the best third at three times the epochs, up to the experiment's epochs", () => {
    expect(halvingRungs(27, 27)).toEqual([
      { candidates: 27, epochs: 1 },
      { candidates: 9, epochs: 3 },
      { candidates: 3, epochs: 9 },
      { candidates: 1, epochs: 27 },
    ]);
    expect(halvingRungs(12, 20)).toEqual([
      { candidates: 12, epochs: 2 },
      { candidates: 4, epochs: 7 },
      { candidates: 1, epochs: 20 },
    ]);
    // Each run extended, not retrained: fewer epochs in all than every candidate at full length.
    expect(halvingEpochs(halvingRungs(27, 27))).toBe(18 * 1 + 6 * 3 + 2 * 9 + 27);
    expect(halvingEpochs(halvingRungs(27, 27))).toBeLessThan(27 * 27);
  });
});
