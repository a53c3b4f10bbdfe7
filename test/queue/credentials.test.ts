import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseQueueUrl, type QueueTarget } from "../../src/queue/url.js";
import {
  cnnpIn,
  exitWithin,
  killAll,
  makeCertificates,
  type Proc,
  redisHasTls,
  redisServer,
  start,
  tinyPipeline,
  until,
} from "./servers.js";

/**
 * Finding 2 of issue 25, its Redis part: a password could only be given inside the --queue URL,
 * where `ps` shows it, Redis with no password went without a word, and TLS was untested. Now the
 * password can come from CNNP_REDIS_PASSWORD or --redis-password-file, is never printed, rediss://
 * works with a CA of one's own, and an open Redis on the network is named once.
 */
const dir = mkdtempSync(join(tmpdir(), "cnnp-creds-"));
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

const secret = "cr3d-S3cret-9f1e";
const env = { CNNP_REDIS_PASSWORD: secret };

/** This machine's first address that is not the loopback, if any. */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

/** Every text a process showed, and its command line as `ps` shows it. */
const shown = (p: Proc, cmdline: string) => [p.log.out, p.log.err, cmdline];
const cmdlineOf = (p: Proc) => readFileSync(`/proc/${p.pid}/cmdline`, "utf8").split("\0").join(" ");

/** The text of every result file in a folder. */
const resultTexts = (folder: string) => {
  const jobs = join(dir, folder, "jobs");
  return readdirSync(jobs).map((f) => readFileSync(join(jobs, f), "utf8"));
};

describe("where the Redis password comes from", () => {
  it("is the URL's, else --redis-password-file's first line, else CNNP_REDIS_PASSWORD; never in a message", () => {
    const file = join(dir, "password");
    writeFileSync(file, `${secret}\n`);
    const t = (url: string, o: { file?: string; env?: Record<string, string> } = {}) =>
      parseQueueUrl(url, { ...(o.file ? { passwordFile: o.file } : {}), env: o.env ?? {} });
    const fromEnv = t("redis://h:1", { env }) as QueueTarget;
    expect(fromEnv.connection.password).toBe(secret);
    expect(fromEnv.passwordFrom).toBe("from CNNP_REDIS_PASSWORD");
    expect(fromEnv.shown).toBe("redis://h:1");
    expect(fromEnv.redact(`AUTH ${secret} failed`)).toBe("AUTH *** failed");
    const fromFile = t("redis://h:1", { file, env: { CNNP_REDIS_PASSWORD: "other-one" } }) as QueueTarget;
    expect(fromFile.connection.password).toBe(secret);
    expect(fromFile.passwordFrom).toBe(`in --redis-password-file ${file}`);
    const fromUrl = t("redis://:url-pass@h:1", { env }) as QueueTarget;
    expect(fromUrl.connection.password).toBe("url-pass");
    expect(fromUrl.passwordFrom).toBe("in the --queue URL");
    const user = t("redis://h:1", { env: { ...env, CNNP_REDIS_USERNAME: "cnnp" } }) as QueueTarget;
    expect(user.connection.username).toBe("cnnp");
    expect(t(`redis://:${secret}@h:1`, { file })).toMatch(
      /^--queue's URL has a password and --redis-password-file gives one/,
    );
    expect(t("redis://h:1", { file: join(dir, "none") })).toBe(
      `--redis-password-file: there is no file ${join(dir, "none")}`,
    );
    writeFileSync(join(dir, "empty"), "\n");
    expect(t("redis://h:1", { file: join(dir, "empty") })).toMatch(
      /is empty; its first line is the password$/,
    );
    expect(t("redis://h:1", { file: dir })).toMatch(/cannot read .*a folder, not a regular file/);
    expect((t("rediss://h:1") as QueueTarget).connection.tls).toEqual({});
    const ca = join(dir, "ca.pem");
    writeFileSync(ca, "-----BEGIN CERTIFICATE-----\n");
    expect((t("rediss://h:1", { env: { CNNP_REDIS_CA: ca } }) as QueueTarget).connection.tls).toEqual({
      ca: "-----BEGIN CERTIFICATE-----\n",
    });
  });
});

describe("cnnp run --queue and cnnp worker with Redis credentials", { timeout: 240_000 }, () => {
  it("take the password from CNNP_REDIS_PASSWORD or --redis-password-file, and show it nowhere (output, ps, result files)", async () => {
    const { port } = await redisServer({ password: secret });
    const url = `redis://127.0.0.1:${port}`;
    const file = tinyPipeline(dir, "creds.cnnp", 3);
    const none = cnnpIn(dir, ["worker", "--queue", url]);
    expect(none.code).toBe(2);
    expect(none.err).toContain(`error: Redis at ${url} needs a password: set CNNP_REDIS_PASSWORD`);
    const wrong = cnnpIn(dir, ["worker", "--queue", url], { CNNP_REDIS_PASSWORD: `wrong-${secret}` });
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain(
      `error: Redis at ${url} refused the user name or password from CNNP_REDIS_PASSWORD`,
    );
    expect(wrong.err).not.toContain(secret);

    const passwordFile = join(dir, "redis-password");
    writeFileSync(passwordFile, `${secret}\n`, { mode: 0o600 });
    const worker = start(["worker", "--queue", url], dir, env);
    await until(() => worker.log.err.includes("waiting for runs"), 60_000, "the worker");
    const coordinator = start(
      ["run", file, "--queue", url, "--results", "creds", "--redis-password-file", passwordFile],
      dir,
    );
    await until(() => coordinator.log.err.includes("training 1 job"), 60_000, "the coordinator");
    const psLines = [cmdlineOf(worker), cmdlineOf(coordinator)];
    expect(await exitWithin(coordinator, 120_000), coordinator.log.err).toBe(0);
    expect(coordinator.log.err).toContain("1 of 1 job done");
    worker.kill("SIGINT");
    expect(await exitWithin(worker, 10_000)).toBe(0);
    const texts = [
      ...shown(worker, psLines[0] as string),
      ...shown(coordinator, psLines[1] as string),
      ...resultTexts("creds"),
    ];
    for (const text of texts) expect(text).not.toContain(secret);
    // A loopback Redis is not the network's: no warning.
    expect(`${worker.log.err}${coordinator.log.err}`).not.toContain("warning:");
  });

  it.runIf(redisHasTls())(
    "connect over TLS (rediss://) to a redis-server with a certificate of a throwaway CA given by CNNP_REDIS_CA",
    async () => {
      const certs = makeCertificates(mkdtempSync(join(dir, "tls-")));
      const { port } = await redisServer({ password: secret, tls: certs });
      const url = `rediss://127.0.0.1:${port}`;
      const untrusted = cnnpIn(dir, ["worker", "--queue", url], env);
      expect(untrusted.code).toBe(2);
      expect(untrusted.err).toMatch(
        new RegExp(
          `error: Redis at ${url}: its TLS certificate was not accepted \\(.*\\): give the certificate authority that signed it with CNNP_REDIS_CA=FILE`,
        ),
      );
      const tlsEnv = { ...env, CNNP_REDIS_CA: certs.ca };
      const file = tinyPipeline(dir, "tls.cnnp", 4);
      const worker = start(["worker", "--queue", url], dir, tlsEnv);
      await until(() => worker.log.err.includes("waiting for runs"), 60_000, "the worker");
      expect(worker.log.err).toContain(`waiting for runs on ${url}`);
      const run = cnnpIn(dir, ["run", file, "--queue", url, "--results", "tls"], tlsEnv);
      expect(run.code, run.err).toBe(0);
      expect(run.err).toContain(`on the queue at ${url}`);
      expect(run.err).toContain("1 of 1 job done");
      worker.kill("SIGINT");
      expect(await exitWithin(worker, 10_000)).toBe(0);
      for (const text of [run.out, run.err, worker.log.err, ...resultTexts("tls")])
        expect(text).not.toContain(secret);
    },
  );

  it.runIf(outside !== undefined)(
    "warn once when Redis takes commands without a password at an address other machines can reach",
    async () => {
      const open = await redisServer({ bind: ["127.0.0.1", outside as string] });
      const url = `redis://${outside}:${open.port}`;
      const worker = start(["worker", "--queue", url], dir);
      await until(() => worker.log.err.includes("waiting for runs"), 60_000, "the worker");
      const warning = `warning: Redis at ${url} takes commands without a password, at an address other machines can reach`;
      expect(worker.log.err.split(warning)).toHaveLength(2);
      const run = cnnpIn(dir, [
        "run",
        tinyPipeline(dir, "open.cnnp", 5),
        "--queue",
        url,
        "--results",
        "open",
      ]);
      expect(run.code, run.err).toBe(0);
      expect(run.err.split(warning)).toHaveLength(2);
      worker.kill("SIGINT");
      expect(await exitWithin(worker, 10_000)).toBe(0);
      // With a password there, at the same kind of address: no warning.
      const closed = await redisServer({ bind: ["127.0.0.1", outside as string], password: secret });
      const w2 = start(["worker", "--queue", `redis://${outside}:${closed.port}`], dir, env);
      await until(() => w2.log.err.includes("waiting for runs"), 60_000, "the second worker");
      expect(w2.log.err).not.toContain("warning:");
      w2.kill("SIGINT");
      expect(await exitWithin(w2, 10_000)).toBe(0);
    },
  );
});
