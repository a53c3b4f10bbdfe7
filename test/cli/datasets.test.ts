import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { encodeIdx } from "../../src/data/idx.js";
import { fileNames } from "../../src/data/idx-sets.js";
import type { Study } from "../../src/report/schema.js";

/**
 * Each data format end to end: small files in the real formats, a pipeline trained on them by
 * `cnnp run`, and the report's class names (on the site for the colour set).
 */
const tmp = mkdtempSync(join(tmpdir(), "cnnp-datasets-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cnnp(...args: string[]) {
  const r = spawnSync(process.execPath, ["dist/cli/main.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 240_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Images whose class shows: class k has a bright square at a place of its own on noise. */
function classImage(label: number, h: number, w: number, c: number, seed: number): Uint8Array {
  const img = new Uint8Array(h * w * c);
  for (let i = 0; i < img.length; i++) img[i] = (i * 37 + seed * 11) % 40;
  const y0 = (label % 3) * Math.floor(h / 3);
  const x0 = Math.floor(label / 3) * Math.floor(w / 4);
  for (let y = y0; y < y0 + 5; y++)
    for (let x = x0; x < x0 + 5; x++) for (let k = 0; k < c; k++) img[(y * w + x) * c + k] = 250;
  return img;
}

function trainAndReport(file: string, results: string, data: string[]) {
  const run = cnnp("run", file, "--results", results, "--workers", "1", ...data);
  expect(run.err).not.toContain("FAILED");
  expect(run.code, run.err).toBe(0);
  const json = cnnp("results", file, "--results", results, "--json", ...data);
  expect(json.code, json.err).toBe(0);
  return JSON.parse(json.out) as Study;
}

describe("training on each data format", { timeout: 300_000 }, () => {
  it("MNIST's IDX files: trains and reports the digits as class names", () => {
    const dir = join(tmp, "mnist");
    mkdirSync(dir);
    const set = (n: number, seed: number) => {
      const images = new Uint8Array(n * 784);
      const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
      labels.forEach((l, i) => {
        images.set(classImage(l, 28, 28, 1, i + seed), i * 784);
      });
      return { images: encodeIdx([n, 28, 28], images), labels: encodeIdx([n], labels) };
    };
    const train = set(200, 0);
    const test = set(50, 999);
    writeFileSync(join(dir, `${fileNames.trainImages}.gz`), gzipSync(train.images));
    writeFileSync(join(dir, `${fileNames.trainLabels}.gz`), gzipSync(train.labels));
    writeFileSync(join(dir, `${fileNames.testImages}.gz`), gzipSync(test.images));
    writeFileSync(join(dir, `${fileNames.testLabels}.gz`), gzipSync(test.labels));
    const file = join(tmp, "mnist.cnnp");
    writeFileSync(file, "data mnist train 200 test 50\nmodel m = conv8 pool dense10\nepochs 2\n");
    const study = trainAndReport(file, join(tmp, "mnist-results"), ["--data", dir]);
    const e = study.experiments[0];
    expect(e?.classNames).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect([e?.rows[0]?.ok, e?.rows[0]?.failed]).toEqual([1, 0]);
  });

  it("CIFAR-10's binary batches: trains a colour model with augment and batchnorm, and the site shows CIFAR-10's class names", () => {
    const dir = join(tmp, "cifar");
    mkdirSync(dir);
    const batch = (n: number, seed: number) => {
      const out = Buffer.alloc(n * 3073);
      for (let i = 0; i < n; i++) {
        const label = (i + seed) % 10;
        const hwc = classImage(label, 32, 32, 3, i + seed);
        out[i * 3073] = label;
        for (let p = 0; p < 1024; p++)
          for (let c = 0; c < 3; c++) out[i * 3073 + 1 + c * 1024 + p] = hwc[p * 3 + c] as number;
      }
      return out;
    };
    for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), batch(20, b));
    writeFileSync(join(dir, "test_batch.bin"), batch(30, 7));
    const file = join(tmp, "cifar.cnnp");
    writeFileSync(
      file,
      "data cifar10 train 100 test 30\nmodel m = augment(shift=2) conv8 batchnorm pool globalpool dense10\nepochs 1\n",
    );
    const results = join(tmp, "cifar-results");
    const study = trainAndReport(file, results, ["--data", dir]);
    expect(study.experiments[0]?.classNames[0]).toBe("airplane");
    const out = join(tmp, "cifar-site");
    const site = cnnp("site", file, "--results", results, "--data", dir, "--out", out);
    expect(site.code, site.err).toBe(0);
    const pages = readdirSync(out, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".html"));
    const page = pages.map((p) => readFileSync(join(out, p), "utf8")).find((h) => h.includes("automobile"));
    expect(page, `no page names CIFAR-10's classes among ${pages.join(", ")}`).toBeDefined();
    for (const name of [
      "airplane",
      "automobile",
      "bird",
      "cat",
      "deer",
      "dog",
      "frog",
      "horse",
      "ship",
      "truck",
    ])
      expect(page).toContain(name);
    const environment = readFileSync(join(out, "environment", "index.html"), "utf8");
    expect(environment).toContain("CIFAR-10 as the jobs read it");
  });

  it("a folder of PNG and JPEG images: classes from the subfolders, the path relative to the pipeline", async () => {
    const dir = join(tmp, "shapes");
    const classes = ["circle", "square", "triangle"];
    for (const [label, name] of classes.entries()) {
      mkdirSync(join(dir, "images", name), { recursive: true });
      for (let i = 0; i < 20; i++) {
        const raw = sharp(Buffer.from(classImage(label, 24, 24, 3, i)), {
          raw: { width: 24, height: 24, channels: 3 },
        });
        await (i % 2 ? raw.jpeg({ quality: 95 }) : raw.png()).toFile(
          join(dir, "images", name, `${i}.${i % 2 ? "jpg" : "png"}`),
        );
      }
    }
    const file = join(dir, "shapes.cnnp");
    writeFileSync(file, 'data folder "images" size 16\nmodel m = conv8 pool dense3\nepochs 2\n');
    const study = trainAndReport(file, join(tmp, "shapes-results"), []);
    const e = study.experiments[0];
    expect(e?.classNames).toEqual(classes);
    expect(e?.fixed.data).toMatch(/^folder "images" \(16x16, colour, 3 classes, split 0\.2\)/);
    const status = cnnp("status", file, "--results", join(tmp, "shapes-results"));
    expect(status.out).toMatch(/1\s+1\s+0\s+0\s+0/);
  });
});
