import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { datasetChecksum, officialFileHashes } from "./checksums.js";
import { download } from "./download.js";
import { DataError, idxHeader, parseIdx } from "./idx.js";

/** The four files, with the SHA-256 of their uncompressed IDX bytes (gzip levels vary by mirror). */
export const files = {
  trainImages: {
    name: "train-images-idx3-ubyte",
    sha256: officialFileHashes[0],
  },
  trainLabels: {
    name: "train-labels-idx1-ubyte",
    sha256: officialFileHashes[1],
  },
  testImages: {
    name: "t10k-images-idx3-ubyte",
    sha256: officialFileHashes[2],
  },
  testLabels: {
    name: "t10k-labels-idx1-ubyte",
    sha256: officialFileHashes[3],
  },
} as const;
type FileKey = keyof typeof files;
const keys = Object.keys(files) as FileKey[];

export const officialMirror = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
export const debianDir = "/usr/share/datasets/fashion-mnist";
export const classNames = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

export interface Dataset {
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
  trainCount: number;
  testCount: number;
  height: number;
  width: number;
  classes: number;
  /** The folder the files came from. */
  dir: string;
  /** How it was found: `--data`, `FASHION_MNIST_DIR`, `cache`, `debian` or `download`. */
  origin: string;
  /** SHA-256 over the four files' uncompressed SHA-256s, in the order of `files`. */
  checksum: string;
  /** Whether every file is the official Fashion-MNIST. */
  official: boolean;
}

export interface LocateOptions {
  /** `--data DIR`. */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with progress and notices while downloading. */
  log?: (line: string) => void;
  /** Allow a download when no copy is found (default true). */
  download?: boolean;
  /** System-wide copies to look in after the cache (default: Debian's). */
  systemDirs?: string[];
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "cnnp", "fashion-mnist");
}

/** The path of one file in a folder, gzipped or raw, or undefined. */
export function fileIn(dir: string, key: FileKey): string | undefined {
  for (const candidate of [`${files[key].name}.gz`, files[key].name]) {
    const p = join(dir, candidate);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function hasAll(dir: string): boolean {
  return keys.every((k) => fileIn(dir, k) !== undefined);
}

const loaded = new Map<string, Dataset>();

/**
 * Finds Fashion-MNIST: `--data DIR`, then `FASHION_MNIST_DIR`, then the user cache, then Debian's
 * `dataset-fashion-mnist`; downloads it to the cache when none has it.
 */
export async function loadFashionMnist(opts: LocateOptions = {}): Promise<Dataset> {
  const env = opts.env ?? process.env;
  const explicit: [string, string][] = [];
  if (opts.dir) explicit.push([opts.dir, "--data"]);
  else if (env.FASHION_MNIST_DIR) explicit.push([env.FASHION_MNIST_DIR, "FASHION_MNIST_DIR"]);
  for (const [dir, origin] of explicit) {
    if (!existsSync(dir)) throw new DataError(`${dir} (given by ${origin}): no such folder`);
    const missing = keys.filter((k) => fileIn(dir, k) === undefined);
    if (missing.length > 0) {
      throw new DataError(
        `${dir} (given by ${origin}) lacks ${missing.map((k) => `${files[k].name}[.gz]`).join(", ")}`,
      );
    }
    return readDataset(dir, origin, false);
  }
  const cache = cacheDir(env);
  if (hasAll(cache)) return readDataset(cache, "cache", true);
  const systemDirs = opts.systemDirs ?? [debianDir];
  for (const dir of systemDirs) if (hasAll(dir)) return readDataset(dir, "debian", true);
  if (opts.download === false) throw notFound(cache, systemDirs, "downloads are off");
  const mirror = env.CNNP_FASHION_MNIST_MIRROR || officialMirror;
  try {
    for (const k of keys) {
      if (fileIn(cache, k)) continue;
      await download(
        `${mirror.replace(/\/?$/, "/")}${files[k].name}.gz`,
        join(cache, `${files[k].name}.gz`),
        {
          verify: (bytes) => verifyGzip(bytes, k),
          log: opts.log,
        },
      );
    }
  } catch (e) {
    throw notFound(cache, systemDirs, (e as Error).message);
  }
  return readDataset(cache, "download", true);
}

function notFound(cache: string, systemDirs: string[], why: string): DataError {
  return new DataError(
    [
      `Fashion-MNIST is not on this machine and could not be downloaded (${why}).`,
      `Looked in: --data / FASHION_MNIST_DIR (not set), ${[cache, ...systemDirs].join(", ")}.`,
      "Get it one of two ways:",
      "  - on Debian or Ubuntu: sudo apt-get install dataset-fashion-mnist",
      "  - or put the four *-ubyte.gz files in a folder and pass --data DIR (or set FASHION_MNIST_DIR)",
    ].join("\n"),
  );
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Checks a downloaded gzip against the official checksum; returns a reason when it differs. */
function verifyGzip(bytes: Uint8Array, key: FileKey): string | undefined {
  let raw: Uint8Array;
  try {
    raw = gunzipSync(bytes);
  } catch {
    return "not a valid gzip file";
  }
  return sha256(raw) === files[key].sha256 ? undefined : "checksum does not match the official file";
}

function readDataset(dir: string, origin: string, mustBeOfficial: boolean): Dataset {
  const cached = loaded.get(dir);
  if (cached && (cached.official || !mustBeOfficial)) return { ...cached, origin };
  const hashes: string[] = [];
  const read = (key: FileKey, nd: number) => {
    const path = fileIn(dir, key) as string;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new DataError(`${path}: cannot read (${(e as Error).message})`);
    }
    const idx = parseIdx(bytes, path, nd);
    // The hash covers the whole uncompressed IDX file: its header, then its data.
    const digest = createHash("sha256").update(idxHeader(idx.dims)).update(idx.data).digest("hex");
    if (mustBeOfficial && digest !== files[key].sha256) {
      throw new DataError(
        `${path}: checksum ${digest.slice(0, 12)}... is not the official ${files[key].name}'s; delete the file and run again to fetch a good copy`,
      );
    }
    hashes.push(digest);
    return { idx, path };
  };
  const trI = read("trainImages", 3);
  const trL = read("trainLabels", 1);
  const teI = read("testImages", 3);
  const teL = read("testLabels", 1);
  const [n, h, w] = trI.idx.dims as [number, number, number];
  const [m, h2, w2] = teI.idx.dims as [number, number, number];
  if (h !== h2 || w !== w2) {
    throw new DataError(`${teI.path}: images are ${h2}x${w2}, the training images ${h}x${w}`);
  }
  if (trL.idx.dims[0] !== n) {
    throw new DataError(`${trL.path}: ${trL.idx.dims[0]} labels for ${n} images in ${trI.path}`);
  }
  if (teL.idx.dims[0] !== m) {
    throw new DataError(`${teL.path}: ${teL.idx.dims[0]} labels for ${m} images in ${teI.path}`);
  }
  const classes = 10;
  for (const l of [trL, teL]) {
    const bad = l.idx.data.findIndex((v) => v >= classes);
    if (bad >= 0) {
      throw new DataError(`${l.path}: label ${l.idx.data[bad]} at item ${bad} is outside 0..${classes - 1}`);
    }
  }
  const official = hashes.every((d, i) => d === files[keys[i] as FileKey].sha256);
  const ds: Dataset = {
    trainImages: trI.idx.data,
    trainLabels: trL.idx.data,
    testImages: teI.idx.data,
    testLabels: teL.idx.data,
    trainCount: n,
    testCount: m,
    height: h,
    width: w,
    classes,
    dir,
    origin,
    checksum: datasetChecksum(hashes),
    official,
  };
  loaded.set(dir, ds);
  return ds;
}
