import { openRedisWarning, probe, QueueError } from "../queue/connect.js";
import type { QueueTarget } from "../queue/url.js";
import type { Io } from "./io.js";

/** The Redis servers already warned about in this process (the warning is said once). */
const warned = new Set<string>();

/**
 * Connects to the queue's Redis once; prints why not and says false when it cannot. Warns, once,
 * when that Redis takes commands without a password at an address other machines can reach.
 */
export async function reachQueue(target: QueueTarget, io: Io): Promise<boolean> {
  try {
    await probe(target);
  } catch (e) {
    if (!(e instanceof QueueError)) throw e;
    io.err(`error: ${e.message}`);
    return false;
  }
  if (!warned.has(target.shown)) {
    warned.add(target.shown);
    const warning = await openRedisWarning(target);
    if (warning) io.err(`warning: ${target.redact(warning)}`);
  }
  return true;
}
