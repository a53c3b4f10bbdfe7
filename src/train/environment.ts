import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
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

/**
 * The processor: its model name, and on Linux its family, model and widest vector unit, since
 * virtual machines often show only a vendor's line ("AMD EPYC") for processors whose speed per
 * core differs twofold. Times from two such hosts are then not mistaken for one.
 */
export function cpuName(cpuinfo = readCpuinfo()): string {
  const name = cpus()[0]?.model.trim() || "unknown";
  if (!cpuinfo) return name;
  const field = (key: string) => new RegExp(`^${key}\\s*:\\s*(.+)$`, "m").exec(cpuinfo)?.[1]?.trim();
  const family = field("cpu family");
  const model = field("model");
  const flags = new Set((field("flags") ?? "").split(/\s+/));
  const isa = flags.has("avx512f") ? "AVX-512" : flags.has("avx2") ? "AVX2" : flags.has("avx") ? "AVX" : null;
  const parts = [family && model ? `family ${family}, model ${model}` : null, isa].filter(Boolean);
  return parts.length > 0 ? `${name} (${parts.join("; ")})` : name;
}

function readCpuinfo(): string | null {
  if (platform() !== "linux") return null;
  try {
    return readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return null;
  }
}

export function host(): Host {
  cached ??= {
    hostname: hostname(),
    cpu: cpuName(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    cnnp: version,
    gpus: gpus(),
  };
  return cached;
}
