import { spawnSync } from "node:child_process";

/** Runs the built CLI (`dist/cli/main.js`) without colour; its exit code and output. */
export function cnnp(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ["dist/cli/main.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
