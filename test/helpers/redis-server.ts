import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";

/** A loopback port nobody listens on. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** A redis-server of the test's own on a loopback port, answering PING; stop it with `server.kill()`. */
export async function startRedis(): Promise<{ url: string; port: number; server: ChildProcess }> {
  const port = await freePort();
  const server = spawn(
    "redis-server",
    ["--port", `${port}`, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ping = spawnSync("redis-cli", ["-p", `${port}`, "ping"], { encoding: "utf8" });
    if (ping.stdout?.includes("PONG")) break;
    if (Date.now() > deadline) {
      server.kill();
      throw new Error(`redis-server on port ${port} did not answer within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, port, server };
}
