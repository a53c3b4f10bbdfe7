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
    why = `${where} needs a password: put it in the URL, redis://:PASSWORD@HOST:PORT (or redis://USER:PASSWORD@...)`;
  else if (/WRONGPASS|invalid password|invalid username-password/i.test(msg))
    why = `${where} refused the user name or password in the --queue URL`;
  else if (/NOPERM/.test(msg))
    why = `${where}: the user in the --queue URL lacks a permission cnnp needs (${msg})`;
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
