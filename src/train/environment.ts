import { execFileSync } from "node:child_process";
import { cpus, hostname, platform, release, totalmem } from "node:os";
import { version } from "../version.js";

/** The machine a job ran on, recorded with every result. */
export interface Host {
  hostname: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  cnnp: string;
  /** GPU names from nvidia-smi, empty when there is none. */
  gpus: string[];
}

let cached: Host | undefined;

function gpus(): string[] {
  try {
    const out = execFileSync("nvidia-smi", ["--query-gpu=name", "--format=csv,noheader"], {
      encoding: "utf8",
      timeout: 5000,
      stdio: ["ignore", "pipe", "ignore"],
    });
    return out
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

export function host(): Host {
  cached ??= {
    hostname: hostname(),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    cnnp: version,
    gpus: gpus(),
  };
  return cached;
}
