import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Parser } from "tar";
import { namedSets } from "../model/datasets.js";
import { cacheRoot } from "./cache.js";
import { datasetChecksum } from "./checksums.js";
import type { Dataset, LocateOptions } from "./dataset.js";
import { download } from "./download.js";
import { DataError } from "./idx.js";

/** The official archive and its SHA-256, as its publisher's page and tensorflow/datasets give them. */
export const archive = {
  name: "cifar-10-binary.tar.gz",
  url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
  sha256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
  bytes: 170_052_171,
};
export const trainFiles = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const testFile = "test_batch.bin";
const record = 1 + 32 * 32 * 3;

export const officialCifarChecksum = datasetChecksum([archive.sha256]);

export const cifarCacheDir = (env: NodeJS.ProcessEnv = process.env) => join(cacheRoot(env), "cifar10");

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * Finds CIFAR-10: `--data DIR` or `CIFAR10_DIR` (a folder with the archive, or with its six
 * batch files, extracted or in `cifar-10-batches-bin/`), then the cache; downloads the archive
 * into the cache when neither has it. The archive is checked against its SHA-256; extracted
 * files cannot be (the publisher gives the archive's hash only), so they count as not official.
 */
export async function loadCifar10(opts: LocateOptions = {}): Promise<Dataset> {
  const env = opts.env ?? process.env;
  const given = opts.dir
    ? ([opts.dir, "--data"] as const)
    : env.CIFAR10_DIR
      ? ([env.CIFAR10_DIR, "CIFAR10_DIR"] as const)
      : null;
  if (given) {
    const [dir, origin] = given;
    if (!existsSync(dir)) throw new DataError(`${dir} (given by ${origin}): no such folder`);
    const tgz = join(dir, archive.name);
    if (existsSync(tgz)) return fromArchive(tgz, origin, false);
    for (const d of [dir, join(dir, "cifar-10-batches-bin")])
      if ([...trainFiles, testFile].every((f) => existsSync(join(d, f)))) return fromFiles(d, origin);
    throw new DataError(
      `${dir} (given by ${origin}) holds neither ${archive.name} nor the batch files (${[...trainFiles, testFile].join(", ")})`,
    );
  }
  const cached = join(cifarCacheDir(env), archive.name);
  if (existsSync(cached)) return fromArchive(cached, "cache", true);
  if (opts.download === false) throw notFound(cached, "downloads are off");
  try {
    await download(
      env.CNNP_CIFAR10_MIRROR
        ? `${env.CNNP_CIFAR10_MIRROR.replace(/\/?$/, "/")}${archive.name}`
        : archive.url,
      cached,
      {
        verify: (bytes) =>
          sha256(bytes) === archive.sha256 ? undefined : "checksum does not match the official archive",
        log: opts.log,
        timeoutMs: 600_000,
      },
    );
  } catch (e) {
    throw notFound(cached, (e as Error).message);
  }
  return fromArchive(cached, "download", true);
}

function notFound(cached: string, why: string): DataError {
  return new DataError(
    [
      `CIFAR-10 is not on this machine and could not be downloaded (${why}).`,
      `Looked in: --data / CIFAR10_DIR (not set), ${cached}.`,
      `Get ${archive.url} (${archive.bytes.toLocaleString("en-US")} bytes) on a machine with internet,`,
      "then put it in a folder and pass --data DIR (or set CIFAR10_DIR), or copy it to the cache path above.",
    ].join("\n"),
  );
}

const loaded = new Map<string, Dataset>();

async function fromArchive(path: string, origin: string, mustBeOfficial: boolean): Promise<Dataset> {
  const known = loaded.get(path);
  if (known) return { ...known, origin };
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DataError(`${path}: cannot read (${(e as Error).message})`);
  }
  const digest = sha256(bytes);
  const official = digest === archive.sha256;
  if (mustBeOfficial && !official)
    throw new DataError(
      `${path}: checksum ${digest.slice(0, 12)}... is not the official ${archive.name}'s (${bytes.length.toLocaleString("en-US")} bytes); delete it and run again to fetch a good copy`,
    );
  const entries = await untar(bytes, path);
  const get = (name: string) => {
    const b = entries.get(name);
    if (!b) throw new DataError(`${path}: the archive has no ${name}`);
    return { bytes: b, path: `${path}:${name}` };
  };
  const ds = decode(
    trainFiles.map(get),
    get(testFile),
    dirname(path),
    origin,
    official ? officialCifarChecksum : datasetChecksum([digest]),
    official,
  );
  loaded.set(path, ds);
  return ds;
}

/** The regular files of a (gzipped) tar archive, by base name. */
function untar(bytes: Buffer, path: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const out = new Map<string, Buffer>();
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry) => {
        const chunks: Buffer[] = [];
        entry.on("data", (c: Buffer) => chunks.push(c));
        entry.on("end", () => {
          if (entry.type === "File") out.set(basename(entry.path), Buffer.concat(chunks));
        });
      },
    });
    parser.on("error", (e: Error) =>
      reject(new DataError(`${path}: not a valid archive (${e.message}); delete it and fetch it again`)),
    );
    parser.on("end", () => resolve(out));
    parser.end(bytes);
  });
}

function fromFiles(dir: string, origin: string): Dataset {
  const known = loaded.get(dir);
  if (known) return { ...known, origin };
  const read = (name: string) => {
    const path = join(dir, name);
    try {
      return { bytes: readFileSync(path), path };
    } catch (e) {
      throw new DataError(`${path}: cannot read (${(e as Error).message})`);
    }
  };
  const train = trainFiles.map(read);
  const test = read(testFile);
  const ds = decode(
    train,
    test,
    dir,
    origin,
    datasetChecksum([...train, test].map((f) => sha256(f.bytes))),
    false,
  );
  loaded.set(dir, ds);
  return ds;
}

/** Label bytes and images from batch files, turning CIFAR's channel planes into height x width x channels. */
function decode(
  train: { bytes: Uint8Array; path: string }[],
  test: { bytes: Uint8Array; path: string },
  dir: string,
  origin: string,
  checksum: string,
  official: boolean,
): Dataset {
  const classNames = [...namedSets.cifar10.classNames];
  const read = (files: { bytes: Uint8Array; path: string }[]) => {
    for (const f of files)
      if (f.bytes.length % record !== 0 || f.bytes.length === 0)
        throw new DataError(
          `${f.path}: ${f.bytes.length.toLocaleString("en-US")} bytes is not a whole number of ${record}-byte records (10,000 records are 30,730,000 bytes); the file is truncated or not a CIFAR-10 batch`,
        );
    const n = files.reduce((a, f) => a + f.bytes.length / record, 0);
    const images = new Uint8Array(n * 3072);
    const labels = new Uint8Array(n);
    let item = 0;
    for (const f of files) {
      for (let r = 0; r < f.bytes.length / record; r++, item++) {
        const at = r * record;
        const label = f.bytes[at] as number;
        if (label >= classNames.length)
          throw new DataError(
            `${f.path}: label ${label} of record ${r} is outside 0..9; the file is damaged`,
          );
        labels[item] = label;
        const dst = item * 3072;
        for (let p = 0; p < 1024; p++)
          for (let c = 0; c < 3; c++) images[dst + p * 3 + c] = f.bytes[at + 1 + c * 1024 + p] as number;
      }
    }
    return { images, labels, n };
  };
  const tr = read(train);
  const te = read([test]);
  return {
    name: "cifar10",
    trainImages: tr.images,
    trainLabels: tr.labels,
    testImages: te.images,
    testLabels: te.labels,
    trainCount: tr.n,
    testCount: te.n,
    height: 32,
    width: 32,
    channels: 3,
    classes: classNames.length,
    classNames,
    dir,
    origin,
    checksum,
    official,
  };
}
