import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type OkResult, okResult, resultFile } from "../../src/store/schema.js";
import { ResultStore } from "../../src/store/store.js";

/**
 * Finding 3 of issue 25: every result, written or read, is range-checked in the one schema. A
 * rogue worker's `test.accuracy 7.5, loss -1` was counted and published as 7.5000 ± 0.0000, and a
 * `confusion [[1]], perClass []` skewed the per-class means without a word.
 */
const studies = "studies";
const committed = readdirSync(studies).flatMap((s) => {
  const jobs = join(studies, s, "results", "jobs");
  try {
    return readdirSync(jobs)
      .filter((f) => f.endsWith(".json"))
      .map((f) => join(jobs, f));
  } catch {
    return [];
  }
});

/** A real result: a committed job of the study, with its confusion matrix and history. */
const real = committed
  .map((f) => JSON.parse(readFileSync(f, "utf8")) as OkResult)
  .find((r) => r.status === "ok" && r.test.confusion && r.history.length >= 2 && r.val === null) as OkResult;

/** The first problem the schema finds with the real result changed by `f`. */
function problem(f: (r: OkResult) => void): string {
  const r = structuredClone(real);
  f(r);
  const parsed = okResult.safeParse(r);
  if (parsed.success) return "valid";
  const issue = parsed.error.issues[0];
  return `${issue?.path.join(".")}: ${issue?.message}`;
}

const dir = mkdtempSync(join(tmpdir(), "cnnp-ranges-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the result schema", () => {
  it("passes every committed study result", () => {
    expect(committed.length).toBeGreaterThan(100);
    const failing = committed.flatMap((f) => {
      const parsed = resultFile.safeParse(JSON.parse(readFileSync(f, "utf8")));
      return parsed.success ? [] : [`${f}: ${JSON.stringify(parsed.error.issues[0])}`];
    });
    expect(failing).toEqual([]);
    expect(problem(() => {})).toBe("valid");
  });

  it("refuses numbers out of range: an accuracy of 7.5, a negative or missing loss, negative seconds", () => {
    expect(
      problem((r) => {
        r.test.accuracy = 7.5;
      }),
    ).toMatch(/^test\.accuracy: /);
    expect(
      problem((r) => {
        r.test.loss = -1;
      }),
    ).toMatch(/^test\.loss: /);
    expect(
      problem((r) => {
        r.train.accuracy = -0.1;
      }),
    ).toMatch(/^train\.accuracy: /);
    expect(
      problem((r) => {
        (r.history[0] as OkResult["history"][0]).loss = -3;
      }),
    ).toMatch(/^history\.0\.loss: /);
    // NaN and Infinity travel as null in JSON.
    expect(
      problem((r) => {
        r.train.loss = null as never;
      }),
    ).toMatch(/^train\.loss: /);
    expect(
      problem((r) => {
        r.time.perEpoch = -1;
      }),
    ).toMatch(/^time\.perEpoch: /);
    expect(
      problem((r) => {
        r.test.perClass = r.test.perClass?.map(() => 2);
      }),
    ).toMatch(/^test\.perClass\.0: /);
  });

  it("refuses a confusion matrix that is not classes x classes, does not sum to the test images, or disagrees with the accuracies", () => {
    expect(
      problem((r) => {
        r.test.confusion = [[1]];
        r.test.perClass = [];
      }),
    ).toMatch(/^test\.confusion: 1 classes/);
    expect(
      problem((r) => {
        r.test.perClass = [];
      }),
    ).toBe("test.perClass: 0 values for 10 classes");
    expect(problem((r) => void r.test.confusion?.[0]?.pop())).toBe(
      "test.confusion.0: row of 9, not 10 (one per class)",
    );
    expect(
      problem((r) => {
        r.samples.test += 1;
      }),
    ).toMatch(/^test\.confusion: counts \d+ test images, not the \d+ tested/);
    expect(
      problem((r) => {
        // A count moved off the diagonal: the same total, another accuracy.
        const row = r.test.confusion?.[0] as number[];
        row[0] = (row[0] as number) - 1;
        row[1] = (row[1] as number) + 1;
      }),
    ).toMatch(/^test\.accuracy: .*but the confusion matrix gives/);
    expect(
      problem((r) => {
        const pc = r.test.perClass as number[];
        [pc[0], pc[1]] = [pc[1] as number, pc[0] as number];
      }),
    ).toMatch(/^test\.perClass\.0: .*but the confusion matrix gives/);
    expect(problem((r) => void delete r.test.perClass)).toBe(
      "test: has one of confusion and perClass without the other",
    );
  });

  it("refuses epochs that do not add up: more trained than the job's, a history out of order or past them", () => {
    expect(
      problem((r) => {
        r.epochsTrained = r.epochs + 1;
      }),
    ).toMatch(/^epochsTrained: /);
    expect(problem((r) => void r.history.reverse())).toMatch(/^history\.\d+\.epoch: .*out of order/);
    expect(problem((r) => void r.history.pop())).toMatch(/^history: ends at epoch/);
    expect(
      problem((r) => {
        r.stoppedEpoch = r.epochsTrained + 1;
      }),
    ).toMatch(/^stoppedEpoch: /);
    expect(
      problem((r) => {
        r.epochs = 0;
      }),
    ).toMatch(/^epochs: /);
  });

  it("makes such a file invalid, with why, when it is read from the results folder", () => {
    const store = new ResultStore(dir);
    mkdirSync(store.jobsDir, { recursive: true });
    writeFileSync(store.path(real.job), JSON.stringify({ ...real, test: { ...real.test, accuracy: 7.5 } }));
    expect(store.read(real.job)).toMatchObject({
      kind: "invalid",
      why: expect.stringMatching(/^test\.accuracy: /),
    });
    writeFileSync(
      store.path(real.job),
      JSON.stringify({ ...real, test: { ...real.test, confusion: [[1]], perClass: [] } }),
    );
    expect(store.read(real.job)).toMatchObject({
      kind: "invalid",
      why: expect.stringMatching(/^test\.confusion: /),
    });
    writeFileSync(store.path(real.job), JSON.stringify(real));
    expect(store.read(real.job).kind).toBe("valid");
    // Nor is one written.
    expect(() => store.write({ ...real, train: { ...real.train, loss: -1 } })).toThrow();
  });
});
