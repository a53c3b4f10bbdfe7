import type { DatasetName } from "../model/index.js";

/** A data set in memory: uint8 images in height x width x channels order, one label byte each. */
export interface Dataset {
  name: DatasetName;
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
  trainCount: number;
  testCount: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
  /** By label. */
  classNames: string[];
  /** The folder (or archive) the files came from. */
  dir: string;
  /** How it was found: `--data`, an environment variable's name, `cache`, `debian` or `download`. */
  origin: string;
  /** SHA-256 over the files' SHA-256s: the official files' when they are official. */
  checksum: string;
  /** Whether every file is the official one. */
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
  /** System-wide copies to look in after the cache (default: the set's Debian package, if any). */
  systemDirs?: string[];
}
