import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError, encodeIdx, parseIdx } from "../../src/data/idx.js";
import { cacheDir, debianDir, fileNames, loadFashionMnist } from "../../src/data/idx-sets.js";

const tmp = mkdtempSync(join(tmpdir(), "cnnp-data-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A small data set of the right form: n train and m test images of 28x28, labels 0..9. */
function writeSet(dir: string, n: number, m: number, opts: { gzip?: boolean; badLabel?: boolean } = {}) {
  mkdirSync(dir, { recursive: true });
  const img = (k: number) =>
    encodeIdx(
      [k, 28, 28],
      new Uint8Array(k * 784).map((_, i) => i % 251),
    );
  const lab = (k: number) =>
    encodeIdx(
      [k],
      new Uint8Array(k).map((_, i) => (opts.badLabel && i === 3 ? 10 : i % 10)),
    );
  const put = (name: string, bytes: Uint8Array) =>
    opts.gzip === false
      ? writeFileSync(join(dir, name), bytes)
      : writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes));
  put(fileNames.trainImages, img(n));
  put(fileNames.trainLabels, lab(n));
  put(fileNames.testImages, img(m));
  put(fileNames.testLabels, lab(m));
}

describe("IDX files", () => {
  it("reads gzipped and raw files with their dimensions", () => {
    const raw = encodeIdx([2, 3], new Uint8Array([1, 2, 3, 4, 5, 6]));
    for (const bytes of [raw, gzipSync(raw)]) {
      const a = parseIdx(bytes, "x.idx");
      expect(a.dims).toEqual([2, 3]);
      expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it("names the file and the fault for a truncated, corrupt or foreign file", () => {
    const raw = encodeIdx([4, 28, 28], new Uint8Array(4 * 784));
    expect(() => parseIdx(raw.subarray(0, raw.length - 10), "t.idx")).toThrow(
      /^t\.idx: truncated: the header promises 3,136 bytes of data, the file has 3,126/,
    );
    const gz = gzipSync(raw);
    expect(() => parseIdx(gz.subarray(0, gz.length - 20), "c.gz")).toThrow(/^c\.gz: not a valid gzip file/);
    expect(() => parseIdx(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), "z.zip")).toThrow(
      /^z\.zip: not an IDX file/,
    );
    const floats = raw.slice();
    floats[2] = 0x0d;
    expect(() => parseIdx(floats, "f.idx")).toThrow(/f\.idx: IDX element type 0xd is not unsigned bytes/);
    expect(() => parseIdx(raw, "d.idx", 1)).toThrow(/d\.idx: has 3 dimensions, expected 1/);
  });
});

describe("finding Fashion-MNIST", () => {
  it("takes --data first, then FASHION_MNIST_DIR", async () => {
    writeSet(join(tmp, "a"), 12, 6);
    writeSet(join(tmp, "b"), 8, 4, { gzip: false });
    const byFlag = await loadFashionMnist({
      dir: join(tmp, "a"),
      env: { FASHION_MNIST_DIR: join(tmp, "b") },
    });
    expect([byFlag.trainCount, byFlag.testCount, byFlag.origin, byFlag.official]).toEqual([
      12,
      6,
      "--data",
      false,
    ]);
    const byEnv = await loadFashionMnist({ env: { FASHION_MNIST_DIR: join(tmp, "b") } });
    expect([byEnv.trainCount, byEnv.testCount, byEnv.origin]).toEqual([8, 4, "FASHION_MNIST_DIR"]);
  });

  it("rejects labels outside 0..9, naming the file and the item", async () => {
    writeSet(join(tmp, "bad"), 10, 5, { badLabel: true });
    await expect(loadFashionMnist({ dir: join(tmp, "bad") })).rejects.toThrow(
      /train-labels-idx1-ubyte\.gz: label 10 at item 3 is outside 0\.\.9/,
    );
  });

  it("says which files a given folder lacks", async () => {
    mkdirSync(join(tmp, "empty"), { recursive: true });
    await expect(loadFashionMnist({ dir: join(tmp, "empty") })).rejects.toThrow(
      /empty \(given by --data\) lacks train-images-idx3-ubyte\[\.gz\], train-labels/,
    );
    await expect(loadFashionMnist({ dir: join(tmp, "nope") })).rejects.toThrow(
      /nope \(given by --data\): no such folder/,
    );
  });

  it("looks in the user cache before Debian's copy, and verifies what it finds there", async () => {
    const home = join(tmp, "home-cache");
    writeSet(join(home, "cnnp", "fashion-mnist"), 5, 5);
    await expect(loadFashionMnist({ env: { XDG_CACHE_HOME: home } })).rejects.toThrow(
      /checksum .* is not the official train-images-idx3-ubyte's; delete the file/,
    );
  });

  it("reads Debian's dataset-fashion-mnist: 60,000 + 10,000 official images", async () => {
    const ds = await loadFashionMnist({ env: { XDG_CACHE_HOME: join(tmp, "no-cache") } });
    expect(ds.dir).toBe(debianDir);
    expect([ds.trainCount, ds.testCount, ds.height, ds.width, ds.official, ds.origin]).toEqual([
      60000,
      10000,
      28,
      28,
      true,
      "debian",
    ]);
    expect(ds.trainLabels.slice(0, 5)).toEqual(new Uint8Array([9, 0, 0, 3, 0]));
    const { officialChecksum } = await import("../../src/data/checksums.js");
    expect(ds.checksum).toBe(officialChecksum);
  });
});

describe("downloading Fashion-MNIST", () => {
  let server: Server;
  let url = "";
  let served = 0;
  /** Serves Debian's real files, or a corrupted one under /bad/. */
  beforeAll(async () => {
    server = createServer((req, res) => {
      const name = (req.url ?? "").split("/").pop() ?? "";
      try {
        let body = readFileSync(join(debianDir, name));
        if (req.url?.startsWith("/bad/")) body = gzipSync(Buffer.from("not fashion mnist"));
        served++;
        res.writeHead(200, { "content-length": body.length });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  // As on a machine without Debian's package: no system folder, an empty cache, a loopback mirror.
  it("fetches, verifies and caches the four files atomically, then reads the cache", async () => {
    const env = { XDG_CACHE_HOME: join(tmp, "dl"), CNNP_FASHION_MNIST_MIRROR: url };
    const lines: string[] = [];
    const ds = await loadFashionMnist({ env, systemDirs: [], log: (l) => lines.push(l) });
    expect([ds.origin, ds.official, ds.trainCount, ds.testCount]).toEqual(["download", true, 60000, 10000]);
    expect(served).toBe(4);
    expect(lines.filter((l) => l.startsWith("saved ") && l.endsWith("(verified)"))).toHaveLength(4);
    expect(readdirSync(cacheDir(env)).sort()).toEqual(
      Object.values(fileNames)
        .map((f) => `${f}.gz`)
        .sort(),
    );
    const again = await loadFashionMnist({
      env: { ...env, CNNP_FASHION_MNIST_MIRROR: "http://127.0.0.1:9/" },
      systemDirs: [],
    });
    expect([again.origin, again.checksum]).toEqual(["cache", ds.checksum]);
    expect(served).toBe(4);
  });

  it("keeps nothing when the bytes fail verification, and says so", async () => {
    const env = { XDG_CACHE_HOME: join(tmp, "dl-bad"), CNNP_FASHION_MNIST_MIRROR: `${url}bad/` };
    await expect(loadFashionMnist({ env, systemDirs: [] })).rejects.toThrow(
      /checksum does not match the official file/,
    );
    expect(existsSync(cacheDir(env)) ? readdirSync(cacheDir(env)) : []).toEqual([]);
  });

  it("offline with no copy: one message with the two ways to get the data", async () => {
    const env = { XDG_CACHE_HOME: join(tmp, "offline"), CNNP_FASHION_MNIST_MIRROR: "http://127.0.0.1:9/" };
    const err = (await loadFashionMnist({ env, systemDirs: [] }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(
      /^Fashion-MNIST is not on this machine and could not be downloaded \(cannot reach/,
    );
    expect(err.message).toContain("sudo apt-get install dataset-fashion-mnist");
    expect(err.message).toContain("pass --data DIR (or set FASHION_MNIST_DIR)");
  });
});
