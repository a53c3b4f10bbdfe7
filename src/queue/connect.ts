import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { Redis } from "ioredis";
import type { QueueTarget } from "./url.js";

/** Redis could not be used: the message says where and what to do, without credentials. */
export class QueueError extends Error {}

/** What went wrong talking to Redis, in words a user can act on. */
export function describeRedisError(target: QueueTarget, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code ?? "";
  const msg = String(err?.message ?? e);
  const where = `Redis at ${target.shown}`;
  let why: string;
  if (code === "ECONNREFUSED" || /ECONNREFUSED/.test(msg))
    why = `${where} refused the connection: is redis-server running there, on that port? Check the --queue URL`;
  else if (code === "ENOTFOUND" || code === "EAI_AGAIN" || /ENOTFOUND|EAI_AGAIN/.test(msg))
    why = `cannot find the host "${target.connection.host}" of ${target.shown}: check the --queue URL`;
  else if (code === "ETIMEDOUT" || /ETIMEDOUT|timed out/i.test(msg))
    why = `${where} did not answer within 5 s: check the host, the port and any firewall`;
  else if (/NOAUTH/.test(msg))
    why = `${where} needs a password: set CNNP_REDIS_PASSWORD (and CNNP_REDIS_USERNAME for a user other than default), give a file whose first line is the password with --redis-password-file FILE, or put it in the URL, redis://:PASSWORD@HOST:PORT`;
  else if (/WRONGPASS|invalid password|invalid username-password/i.test(msg))
    why = `${where} refused the user name or password ${target.passwordFrom ?? "given"}`;
  else if (/NOPERM/.test(msg))
    why = `${where}: the user cnnp logs in as lacks a permission cnnp needs (${msg})`;
  else if (/CERT|self[- ]signed|unable to (get|verify)|Hostname\/IP does not match/i.test(code + msg))
    why = `${where}: its TLS certificate was not accepted (${msg}): give the certificate authority that signed it with CNNP_REDIS_CA=FILE (a PEM file) or NODE_EXTRA_CA_CERTS=FILE`;
  else if (/wrong version number|packet length too long|ssl3_get_record|EPROTO/i.test(code + msg))
    why = `${where} does not speak TLS there: use redis:// for a port without TLS, rediss:// for a TLS port`;
  else if ((code === "ECONNRESET" || /ECONNRESET/.test(msg)) && !target.connection.tls)
    why = `${where} closed the connection (${msg}): if that port takes TLS, use rediss://`;
  else why = `${where}: ${msg}`;
  return target.redact(why);
}

/**
 * A handler for the queue clients' "error" events, which repeat while Redis is away (the clients
 * reconnect by themselves): says so at most every 10 s.
 */
export function outageReporter(target: QueueTarget, say: (line: string) => void): (e: unknown) => void {
  let last = 0;
  return (e) => {
    if (Date.now() - last < 10_000) return;
    last = Date.now();
    say(`lost touch with the queue: ${describeRedisError(target, e)}; retrying`);
  };
}

/**
 * Connects once, without retrying, and pings: a wrong URL, a server that is down or refused
 * credentials are reported at once instead of being retried for ever by the queue's clients.
 */
export async function probe(target: QueueTarget): Promise<void> {
  const client = new Redis({
    ...target.connection,
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The socket's error (ECONNREFUSED, ENOTFOUND...) says more than the "Connection is closed"
  // that connect() rejects with after it.
  let cause: unknown;
  client.on("error", (e) => {
    cause ??= e;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new QueueError(describeRedisError(target, cause ?? e));
  } finally {
    client.disconnect();
  }
}

/** Whether an address is this machine's loopback (127.0.0.0/8, ::1). */
function loopbackAddress(address: string): boolean {
  const a = address.replace(/^::ffff:/i, "");
  return /^127\./.test(a) || a === "::1" || a === "0:0:0:0:0:0:0:1";
}

/** Whether a host name or address reaches this machine's loopback only. */
async function loopbackHost(host: string): Promise<boolean> {
  if (isIP(host)) return loopbackAddress(host);
  try {
    const all = await lookup(host, { all: true });
    return all.length > 0 && all.every((a) => loopbackAddress(a.address));
  } catch {
    return false;
  }
}

/**
 * A warning when Redis answers without a password at an address other machines can reach: then
 * anyone there can queue runs for the workers, and read or change what they return. Null when
 * the address is the loopback, or Redis refuses a client that gives no password (or protected
 * mode turns it away).
 */
export async function openRedisWarning(target: QueueTarget): Promise<string | null> {
  const { host, port, db, tls } = target.connection;
  if (await loopbackHost(host)) return null;
  const client = new Redis({
    host,
    port,
    db,
    ...(tls ? { tls } : {}),
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    if ((await client.ping()) !== "PONG") return null;
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
  return `Redis at ${target.shown} takes commands without a password, at an address other machines can reach: anyone who can reach it can queue runs for the workers and read or change their results. Set one (requirepass in redis.conf) and give it with CNNP_REDIS_PASSWORD or --redis-password-file`;
}
