import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { namedSets } from "../model/datasets.js";
import { cacheRoot } from "./cache.js";
import { datasetChecksum, officialFileHashes } from "./checksums.js";
import type { Dataset, LocateOptions } from "./dataset.js";
import { download } from "./download.js";
import { DataError, idxHeader, parseIdx } from "./idx.js";

export type { Dataset, LocateOptions } from "./dataset.js";

export const fileNames = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;
type FileKey = keyof typeof fileNames;
const keys = Object.keys(fileNames) as FileKey[];

/**
 * A data set of four IDX files (MNIST's format). Each file is known by the SHA-256 of its gzip as
 * published, and, where known, of its uncompressed bytes: a copy recompressed at another gzip
 * level (Debian's Fashion-MNIST) is recognised by the second.
 */
export interface IdxSet {
  name: "fashion_mnist" | "mnist" | "kmnist";
  /** The environment variable that names a folder holding the files. */
  env: string;
  mirror: string;
  /** The environment variable that overrides the mirror. */
  mirrorEnv: string;
  gz: Record<FileKey, string>;
  raw?: Record<FileKey, string>;
  systemDirs: string[];
  /** How to get it, for the message when it is nowhere. */
  install: string[];
}

export const debianDir = "/usr/share/datasets/fashion-mnist";

const byKey = (h: readonly string[]) =>
  Object.fromEntries(keys.map((k, i) => [k, h[i] as string])) as Record<FileKey, string>;

// The published gzips' SHA-256, as tensorflow/datasets' url_checksums list them.
export const idxSets: Record<IdxSet["name"], IdxSet> = {
  fashion_mnist: {
    name: "fashion_mnist",
    env: "FASHION_MNIST_DIR",
    mirror: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    mirrorEnv: "CNNP_FASHION_MNIST_MIRROR",
    gz: byKey([
      "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
      "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
      "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
      "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    ]),
    raw: byKey(officialFileHashes),
    systemDirs: [debianDir],
    install: ["on Debian or Ubuntu: sudo apt-get install dataset-fashion-mnist"],
  },
  mnist: {
    name: "mnist",
    env: "MNIST_DIR",
    mirror: "https://storage.googleapis.com/cvdf-datasets/mnist/",
    mirrorEnv: "CNNP_MNIST_MIRROR",
    gz: byKey([
      "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
      "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
      "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
      "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ]),
    systemDirs: [],
    install: ["from a machine with internet: the four files of http://yann.lecun.com/exdb/mnist/"],
  },
  kmnist: {
    name: "kmnist",
    env: "KMNIST_DIR",
    mirror: "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
    mirrorEnv: "CNNP_KMNIST_MIRROR",
    gz: byKey([
      "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
      "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
      "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
      "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
    ]),
    systemDirs: [],
    install: [
      "from a machine with internet: the four MNIST-format files of https://github.com/rois-codh/kmnist",
    ],
  },
};

/** The checksum of a set's official files: of their uncompressed bytes where known, else of the gzips. */
export function officialIdxChecksum(set: IdxSet): string {
  return datasetChecksum(keys.map((k) => (set.raw ?? set.gz)[k]));
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env, set: IdxSet = idxSets.fashion_mnist): string {
  return join(cacheRoot(env), set.name.replace("_", "-"));
}

/** The path of one file in a folder, gzipped or raw, or undefined. */
function fileIn(dir: string, key: FileKey): string | undefined {
  for (const candidate of [`${fileNames[key]}.gz`, fileNames[key]]) {
    const p = join(dir, candidate);
    if (existsSync(p)) return p;
  }
  return undefined;
}

const hasAll = (dir: string) => keys.every((k) => fileIn(dir, k) !== undefined);

const loaded = new Map<string, Dataset>();

/** Fashion-MNIST, as `loadIdxSet` finds it. */
export function loadFashionMnist(opts: LocateOptions = {}): Promise<Dataset> {
  return loadIdxSet(idxSets.fashion_mnist, opts);
}

/**
 * Finds an IDX data set: `--data DIR`, then the set's environment variable, then the user cache,
 * then a system package; downloads it to the cache when none has it.
 */
export async function loadIdxSet(set: IdxSet, opts: LocateOptions = {}): Promise<Dataset> {
  const env = opts.env ?? process.env;
  const explicit: [string, string][] = [];
  if (opts.dir) explicit.push([opts.dir, "--data"]);
  else if (env[set.env]) explicit.push([env[set.env] as string, set.env]);
  for (const [dir, origin] of explicit) {
    if (!existsSync(dir)) throw new DataError(`${dir} (given by ${origin}): no such folder`);
    const missing = keys.filter((k) => fileIn(dir, k) === undefined);
    if (missing.length > 0) {
      throw new DataError(
        `${dir} (given by ${origin}) lacks ${missing.map((k) => `${fileNames[k]}[.gz]`).join(", ")}`,
      );
    }
    return readDataset(set, dir, origin, false);
  }
  const cache = cacheDir(env, set);
  if (hasAll(cache)) return readDataset(set, cache, "cache", true);
  const systemDirs = opts.systemDirs ?? set.systemDirs;
  for (const dir of systemDirs) if (hasAll(dir)) return readDataset(set, dir, "debian", true);
  if (opts.download === false) throw notFound(set, cache, systemDirs, "downloads are off");
  const mirror = env[set.mirrorEnv] || set.mirror;
  try {
    for (const k of keys) {
      if (fileIn(cache, k)) continue;
      await download(`${mirror.replace(/\/?$/, "/")}${fileNames[k]}.gz`, join(cache, `${fileNames[k]}.gz`), {
        verify: (bytes) => verifyGzip(set, bytes, k),
        log: opts.log,
      });
    }
  } catch (e) {
    throw notFound(set, cache, systemDirs, (e as Error).message);
  }
  return readDataset(set, cache, "download", true);
}

function notFound(set: IdxSet, cache: string, systemDirs: string[], why: string): DataError {
  const title = namedSets[set.name].title;
  return new DataError(
    [
      `${title} is not on this machine and could not be downloaded (${why}).`,
      `Looked in: --data / ${set.env} (not set), ${[cache, ...systemDirs].join(", ")}.`,
      "Get it one of these ways:",
      ...set.install.map((l) => `  - ${l}`),
      `  - or put the four *-ubyte.gz files in a folder and pass --data DIR (or set ${set.env})`,
    ].join("\n"),
  );
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Checks a downloaded gzip against the official checksum; returns a reason when it differs. */
function verifyGzip(set: IdxSet, bytes: Uint8Array, key: FileKey): string | undefined {
  if (sha256(bytes) === set.gz[key]) return undefined;
  let raw: Uint8Array;
  try {
    raw = gunzipSync(bytes);
  } catch {
    return "not a valid gzip file";
  }
  return set.raw && sha256(raw) === set.raw[key] ? undefined : "checksum does not match the official file";
}

function readDataset(set: IdxSet, dir: string, origin: string, mustBeOfficial: boolean): Dataset {
  const cached = loaded.get(`${set.name}:${dir}`);
  if (cached && (cached.official || !mustBeOfficial)) return { ...cached, origin };
  const hashes: string[] = [];
  const verified: boolean[] = [];
  const read = (key: FileKey, nd: number) => {
    const path = fileIn(dir, key) as string;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new DataError(`${path}: cannot read (${(e as Error).message})`);
    }
    const gzOk = path.endsWith(".gz") && sha256(bytes) === set.gz[key];
    const idx = parseIdx(bytes, path, nd);
    // The hash covers the whole uncompressed IDX file: its header, then its data.
    const digest = createHash("sha256").update(idxHeader(idx.dims)).update(idx.data).digest("hex");
    const official = gzOk || digest === set.raw?.[key];
    if (mustBeOfficial && !official) {
      throw new DataError(
        `${path}: checksum ${digest.slice(0, 12)}... is not the official ${fileNames[key]}'s; delete the file and run again to fetch a good copy`,
      );
    }
    hashes.push(digest);
    verified.push(official);
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
  const classNames = [...namedSets[set.name].classNames];
  const classes = classNames.length;
  for (const l of [trL, teL]) {
    const bad = l.idx.data.findIndex((v) => v >= classes);
    if (bad >= 0) {
      throw new DataError(`${l.path}: label ${l.idx.data[bad]} at item ${bad} is outside 0..${classes - 1}`);
    }
  }
  const official = verified.every(Boolean);
  const ds: Dataset = {
    name: set.name,
    trainImages: trI.idx.data,
    trainLabels: trL.idx.data,
    testImages: teI.idx.data,
    testLabels: teL.idx.data,
    trainCount: n,
    testCount: m,
    height: h,
    width: w,
    channels: 1,
    classes,
    classNames,
    dir,
    origin,
    checksum: official ? officialIdxChecksum(set) : datasetChecksum(hashes),
    official,
  };
  loaded.set(`${set.name}:${dir}`, ds);
  return ds;
}
