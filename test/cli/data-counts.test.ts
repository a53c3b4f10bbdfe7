import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { encodeIdx } from "../../src/data/idx.js";
import { fileNames } from "../../src/data/idx-sets.js";
import { cnnp } from "../helpers/cli.js";

/**
 * Data files with fewer images than a pipeline asks for: `cnnp run` says so with the counts before
 * it trains anything (it used to train on what there was while the report named the counts asked).
 */
const tmp = mkdtempSync(join(tmpdir(), "cnnp-data-counts-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Fashion-MNIST's four files in the real IDX format, with `train` and `test` images of noise. */
function idxFolder(name: string, train: number, test: number): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  const set = (n: number) => {
    const images = Uint8Array.from({ length: n * 784 }, (_, i) => (i * 37) % 251);
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    return { images: encodeIdx([n, 28, 28], images), labels: encodeIdx([n], labels) };
  };
  const a = set(train);
  const b = set(test);
  writeFileSync(join(dir, `${fileNames.trainImages}.gz`), gzipSync(a.images));
  writeFileSync(join(dir, `${fileNames.trainLabels}.gz`), gzipSync(a.labels));
  writeFileSync(join(dir, `${fileNames.testImages}.gz`), gzipSync(b.images));
  writeFileSync(join(dir, `${fileNames.testLabels}.gz`), gzipSync(b.labels));
  return dir;
}

describe("cnnp run on data with fewer images than asked", () => {
  it("refuses with both counts before training, and writes no result", () => {
    const data = idxFolder("small", 100, 40);
    const file = join(tmp, "big.cnnp");
    writeFileSync(file, "data fashion_mnist train 8000 test 5000\nmodel m = conv4 pool dense10\nepochs 1\n");
    const results = join(tmp, "results-big");
    const r = cnnp("run", file, "--data", data, "--results", results);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain("asks for 8,000 training images and 5,000 test images");
    expect(r.err).toContain(`${data} holds 100 training and 40 test images`);
    expect(r.err).not.toMatch(/internal error|received null/);
    expect(existsSync(join(results, "jobs"))).toBe(false);
  });

  it("refuses a data set with no training images with a clear error", () => {
    const data = idxFolder("empty", 0, 40);
    const file = join(tmp, "empty.cnnp");
    writeFileSync(file, "data fashion_mnist train 100 test 40\nmodel m = conv4 pool dense10\nepochs 1\n");
    const r = cnnp("run", file, "--data", data, "--results", join(tmp, "results-empty"));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/holds 0 training and 40 test images: a run needs at least one of each/);
    expect(r.err).not.toMatch(/internal error|received null/);
  });
});
