import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import sharp from "sharp";
import { create as tarCreate } from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { loadCifar10 } from "../../src/data/cifar10.js";
import { encodeIdx } from "../../src/data/idx.js";
import { fileNames, idxSets, loadIdxSet } from "../../src/data/idx-sets.js";
import { DataError, loadDataset } from "../../src/data/load.js";
import { scanFolder } from "../../src/data/scan.js";

const tmp = mkdtempSync(join(tmpdir(), "cnnp-sets-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Four IDX files of n training and m test images of 28x28, pixel (i, p) = (i * 7 + p) mod 256. */
function writeIdx(dir: string, n: number, m: number, gzip: boolean): void {
  mkdirSync(dir, { recursive: true });
  const img = (k: number) =>
    encodeIdx(
      [k, 28, 28],
      Uint8Array.from({ length: k * 784 }, (_, j) => (j * 7) % 256),
    );
  const lab = (k: number) =>
    encodeIdx(
      [k],
      Uint8Array.from({ length: k }, (_, i) => i % 10),
    );
  const put = (name: string, bytes: Uint8Array) =>
    writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  put(fileNames.trainImages, img(n));
  put(fileNames.trainLabels, lab(n));
  put(fileNames.testImages, img(m));
  put(fileNames.testLabels, lab(m));
}

/** A CIFAR-10 batch of n records: label i mod 10, then the red, green and blue planes. */
function cifarBatch(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n * 3073);
  for (let i = 0; i < n; i++) {
    out[i * 3073] = (i + seed) % 10;
    for (let j = 0; j < 3072; j++) out[i * 3073 + 1 + j] = (i * 31 + j + seed) % 256;
  }
  return out;
}

const batches = [
  "data_batch_1.bin",
  "data_batch_2.bin",
  "data_batch_3.bin",
  "data_batch_4.bin",
  "data_batch_5.bin",
];

function writeCifar(dir: string): void {
  mkdirSync(dir, { recursive: true });
  batches.forEach((b, k) => {
    writeFileSync(join(dir, b), cifarBatch(4, k));
  });
  writeFileSync(join(dir, "test_batch.bin"), cifarBatch(3, 9));
}

describe("MNIST and Kuzushiji-MNIST (IDX files)", () => {
  it("reads mnist and kmnist from a folder, with their class names; the files are not the official ones", async () => {
    const dir = join(tmp, "mnist");
    writeIdx(dir, 20, 10, true);
    const ds = await loadDataset({ name: "mnist" }, { dir });
    expect([ds.name, ds.trainCount, ds.testCount, ds.channels, ds.official]).toEqual([
      "mnist",
      20,
      10,
      1,
      false,
    ]);
    expect(ds.classNames).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    const k = await loadDataset({ name: "kmnist" }, { dir });
    expect(k.classNames[0]).toBe("o (お)");
    expect(k.checksum).toBe(ds.checksum);
  });

  it("names a truncated file in its error", async () => {
    const dir = join(tmp, "mnist-bad");
    writeIdx(dir, 20, 10, false);
    const path = join(dir, fileNames.testImages);
    writeFileSync(path, readFileSync(path).subarray(0, 1000));
    await expect(loadIdxSet(idxSets.mnist, { dir })).rejects.toThrow(`${path}: truncated`);
  });

  it("offline with no copy, says how to get it", async () => {
    const env = { XDG_CACHE_HOME: join(tmp, "empty-cache") };
    const e = await loadIdxSet(idxSets.kmnist, { env, download: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toMatch(/Kuzushiji-MNIST is not on this machine.*\n.*KMNIST_DIR/);
  });
});

describe("CIFAR-10 (binary batches)", () => {
  it("reads the six batch files, turning channel planes into height x width x channels", async () => {
    const dir = join(tmp, "cifar-files");
    writeCifar(join(dir, "cifar-10-batches-bin"));
    const ds = await loadCifar10({ dir });
    expect([ds.trainCount, ds.testCount, ds.height, ds.width, ds.channels]).toEqual([20, 3, 32, 32, 3]);
    expect(ds.classNames.slice(0, 3)).toEqual(["airplane", "automobile", "bird"]);
    expect(ds.official).toBe(false);
    // Training record 5 is batch 2's record 1: label (1 + 1) mod 10; pixel p of channel c is byte c * 1024 + p.
    const record = cifarBatch(4, 1).subarray(3073, 2 * 3073);
    expect(ds.trainLabels[5]).toBe(record[0]);
    const p = 33;
    for (let c = 0; c < 3; c++) expect(ds.trainImages[5 * 3072 + p * 3 + c]).toBe(record[1 + c * 1024 + p]);
  });

  it("reads the same images out of a gzipped archive, which it checks against the official SHA-256", async () => {
    const src = join(tmp, "cifar-src");
    writeCifar(join(src, "cifar-10-batches-bin"));
    const dir = join(tmp, "cifar-archive");
    mkdirSync(dir);
    await tarCreate({ gzip: true, file: join(dir, "cifar-10-binary.tar.gz"), cwd: src }, [
      "cifar-10-batches-bin",
    ]);
    const fromArchive = await loadCifar10({ dir });
    const fromFiles = await loadCifar10({ dir: src });
    expect(Buffer.from(fromArchive.trainImages).equals(Buffer.from(fromFiles.trainImages))).toBe(true);
    expect(fromArchive.official).toBe(false);
    // In the cache, where only a verified archive belongs, another archive is refused by name.
    const cache = join(tmp, "cifar-cache");
    mkdirSync(join(cache, "cnnp", "cifar10"), { recursive: true });
    const cached = join(cache, "cnnp", "cifar10", "cifar-10-binary.tar.gz");
    writeFileSync(cached, readFileSync(join(dir, "cifar-10-binary.tar.gz")));
    await expect(loadCifar10({ env: { XDG_CACHE_HOME: cache } })).rejects.toThrow(`${cached}: checksum`);
  });

  it("names a truncated batch file, and a damaged archive, in its errors", async () => {
    const dir = join(tmp, "cifar-bad");
    writeCifar(dir);
    const path = join(dir, "data_batch_3.bin");
    writeFileSync(path, readFileSync(path).subarray(0, 5000));
    await expect(loadCifar10({ dir })).rejects.toThrow(`${path}: 5,000 bytes is not a whole number`);
    const bad = join(tmp, "cifar-bad-archive");
    mkdirSync(bad);
    writeFileSync(join(bad, "cifar-10-binary.tar.gz"), gzipSync(Buffer.from("not a tar archive at all")));
    await expect(loadCifar10({ dir: bad })).rejects.toThrow(join(bad, "cifar-10-binary.tar.gz"));
  });

  it("does not keep a downloaded archive whose SHA-256 is not the official one", async () => {
    const fake = gzipSync(Buffer.from("a stand-in, not CIFAR-10"));
    const server = createServer((_, res) => res.end(fake));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const cache = join(tmp, "cifar-dl");
    try {
      const e = await loadCifar10({ env: { XDG_CACHE_HOME: cache, CNNP_CIFAR10_MIRROR: url } }).catch(
        (x) => x,
      );
      expect((e as Error).message).toContain("checksum does not match the official archive");
      expect(existsSync(join(cache, "cnnp", "cifar10", "cifar-10-binary.tar.gz"))).toBe(false);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("offline with no copy, says where to get the archive", async () => {
    const e = await loadCifar10({ env: { XDG_CACHE_HOME: join(tmp, "none") }, download: false }).catch(
      (x) => x,
    );
    expect((e as Error).message).toMatch(
      /CIFAR-10 is not on this machine.*\n.*CIFAR10_DIR[\s\S]*cifar-10-binary\.tar\.gz/,
    );
  });
});

/** A folder of PNG and JPEG images: `per` per class, each filled with one colour per class. */
async function writeFolder(dir: string, classes: string[], per: number): Promise<void> {
  for (const [k, name] of classes.entries()) {
    mkdirSync(join(dir, name), { recursive: true });
    for (let i = 0; i < per; i++) {
      const img = sharp({
        create: { width: 20, height: 16, channels: 3, background: { r: 40 * k, g: 200 - 40 * k, b: 7 * i } },
      });
      const file = join(dir, name, `img${i}.${i % 2 ? "jpg" : "png"}`);
      await (i % 2 ? img.jpeg() : img.png()).toFile(file);
    }
  }
}

describe("a folder of images", () => {
  it("splits by a hash of each path, the same on every scan, and leaves the other images where they were when one is added", async () => {
    const dir = join(tmp, "folder-split");
    await writeFolder(dir, ["cat", "dog", "fox"], 20);
    const a = scanFolder(dir, 0.25);
    const b = scanFolder(dir, 0.25);
    if (typeof a === "string" || typeof b === "string") throw new Error(String(a));
    expect(a.classes).toEqual(["cat", "dog", "fox"]);
    expect(a.test.map((i) => i.file)).toEqual(b.test.map((i) => i.file));
    expect(a.train.length + a.test.length).toBe(60);
    expect(a.test.length).toBeGreaterThan(5);
    expect(a.test.length).toBeLessThan(25);
    expect(a.first).toEqual({ height: 16, width: 20, channels: 3, file: "cat/img0.png" });
    await sharp({ create: { width: 20, height: 16, channels: 3, background: "#fff" } })
      .png()
      .toFile(join(dir, "dog", "new.png"));
    const c = scanFolder(dir, 0.25);
    if (typeof c === "string") throw new Error(c);
    const split = (s: typeof a) => new Map([...s.train, ...s.test].map((i) => [i.file, i.test]));
    for (const [file, test] of split(a)) expect(split(c).get(file)).toBe(test);
  });

  it("decodes PNG and JPEG, resized to the size asked for, in greyscale or colour", async () => {
    const dir = join(tmp, "folder-decode");
    await writeFolder(dir, ["a", "b"], 6);
    const spec = (size: number, channels: 1 | 3) => ({
      name: "folder" as const,
      folder: {
        path: dir,
        resolved: dir,
        size: [size, size] as [number, number],
        channels,
        split: 0.3,
        classes: [],
      },
    });
    const rgb = await loadDataset(spec(8, 3));
    expect([rgb.height, rgb.width, rgb.channels, rgb.trainCount + rgb.testCount]).toEqual([8, 8, 3, 12]);
    expect(rgb.trainImages.length).toBe(rgb.trainCount * 8 * 8 * 3);
    const grey = await loadDataset(spec(4, 1));
    expect(grey.trainImages.length).toBe(grey.trainCount * 16);
    expect(grey.classNames).toEqual(["a", "b"]);
    // A class-a image is r 0, g 200: its first pixel is green in colour; b's (r 40, g 160) is redder.
    const first = rgb.trainLabels[0] as number;
    const [r, g] = [rgb.trainImages[0] as number, rgb.trainImages[1] as number];
    expect(Math.abs(r - 40 * first)).toBeLessThan(6);
    expect(Math.abs(g - (200 - 40 * first))).toBeLessThan(6);
    expect(grey.checksum).toBe(rgb.checksum);
  });

  it("names a damaged image in its error", async () => {
    const dir = join(tmp, "folder-bad");
    await writeFolder(dir, ["a", "b"], 4);
    const path = join(dir, "b", "img2.png");
    writeFileSync(path, readFileSync(path).subarray(0, 60));
    const spec = {
      name: "folder" as const,
      folder: {
        path: dir,
        resolved: dir,
        size: [8, 8] as [number, number],
        channels: 3 as const,
        split: 0.5,
        classes: [],
      },
    };
    await expect(loadDataset(spec)).rejects.toThrow(`${path}: cannot decode`);
  });
});
