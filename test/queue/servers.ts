import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort } from "../helpers/redis-server.js";

/**
 * What the queue tests share: redis-servers of their own (with a password, on another address, or
 * with TLS), `cnnp` processes whose output is kept, and waiting for either.
 */
export const cli = resolve("dist/cli/main.js");

export interface Proc extends ChildProcess {
  log: { out: string; err: string };
}

const procs: ChildProcess[] = [];

/** Kills whatever the tests started and is still running. */
export function killAll(): void {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
}

/** `cnnp ARGS` in the background, in `cwd`, its output kept in `log`. */
export function start(args: string[], cwd: string, env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", ...env },
  }) as Proc;
  child.log = { out: "", err: "" };
  child.stdout?.on("data", (d) => {
    child.log.out += d;
  });
  child.stderr?.on("data", (d) => {
    child.log.err += d;
  });
  procs.push(child);
  return child;
}

/** `cnnp ARGS` to its end, in `cwd`. */
export function cnnpIn(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...env },
    timeout: 120_000,
  });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** The exit code, or the signal's name, once the process is gone. */
export const exited = (c: ChildProcess) =>
  new Promise<number | string | null>((r) =>
    c.exitCode !== null || c.signalCode !== null
      ? r(c.exitCode ?? c.signalCode)
      : c.once("exit", (code, sig) => r(code ?? sig)),
  );

/** The exit code, or "still running" after `ms`. */
export const exitWithin = (c: ChildProcess, ms: number) =>
  Promise.race([exited(c), new Promise<string>((r) => setTimeout(() => r("still running"), ms).unref())]);

export async function until(what: () => boolean, ms = 120_000, why = "a condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${why}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface RedisOptions {
  password?: string;
  /** Addresses to listen on (default 127.0.0.1). */
  bind?: string[];
  /** Serve TLS only, with this certificate (see makeCertificates). */
  tls?: { cert: string; key: string; ca: string };
}

export interface TestRedis {
  port: number;
  server: ChildProcess;
}

/** A redis-server of the test's own on a free port, answering PING. */
export async function redisServer(o: RedisOptions = {}): Promise<TestRedis> {
  const port = await freePort();
  const args = ["--save", "", "--appendonly", "no", "--bind", ...(o.bind ?? ["127.0.0.1"])];
  if (o.bind) args.push("--protected-mode", "no");
  if (o.password) args.push("--requirepass", o.password);
  if (o.tls)
    args.push(
      "--port",
      "0",
      "--tls-port",
      `${port}`,
      "--tls-cert-file",
      o.tls.cert,
      "--tls-key-file",
      o.tls.key,
      "--tls-ca-cert-file",
      o.tls.ca,
      "--tls-auth-clients",
      "no",
    );
  else args.push("--port", `${port}`);
  const server = spawn("redis-server", args, { stdio: "ignore" });
  procs.push(server);
  const cliArgs = [
    "-p",
    `${port}`,
    ...(o.password ? ["-a", o.password, "--no-auth-warning"] : []),
    ...(o.tls ? ["--tls", "--cacert", o.tls.ca] : []),
    "ping",
  ];
  await until(
    () => spawnSync("redis-cli", cliArgs, { encoding: "utf8" }).stdout?.includes("PONG") ?? false,
    10_000,
    `redis-server on port ${port}`,
  );
  return { port, server };
}

/** Whether this redis-server was built with TLS (Debian's is): a build without says "Bad directive". */
export function redisHasTls(): boolean {
  const r = spawnSync("redis-server", ["--port", "0", "--tls-port", "0", "--save", ""], {
    encoding: "utf8",
    timeout: 1500,
  });
  return !/Bad directive/i.test(`${r.stdout}${r.stderr}`);
}

/**
 * A throwaway certificate authority and a server certificate it signed for 127.0.0.1 and
 * localhost, in `dir`: ca.crt, server.crt, server.key.
 */
export function makeCertificates(dir: string): { cert: string; key: string; ca: string } {
  const at = (f: string) => join(dir, f);
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  run(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=cnnp test CA",
  );
  run(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  );
  writeFileSync(at("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
  );
  return { cert: at("server.crt"), key: at("server.key"), ca: at("ca.crt") };
}

/** A tiny pipeline (one job, seconds to train) written into `dir`. */
export function tinyPipeline(dir: string, name = "tiny.cnnp", seed = 1): string {
  writeFileSync(
    join(dir, name),
    `data fashion_mnist train 64 test 32\nepochs 1\nseed ${seed}\nmodel m = conv4 pool dense10\nexperiment "Tiny" {}\n`,
  );
  return name;
}
