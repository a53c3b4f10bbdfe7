import { openRedisWarning, probe, QueueError } from "./connect.js";
import type { QueueTarget } from "./url.js";

/** The Redis servers already warned about in this process (the warning is said once). */
const warned = new Set<string>();

/**
 * Connects to the queue's Redis once; says why not (through `say`) and gives false when it cannot.
 * Warns, once, when that Redis takes commands without a password at an address other machines can
 * reach.
 */
export async function reachQueue(target: QueueTarget, say: (line: string) => void): Promise<boolean> {
  try {
    await probe(target);
  } catch (e) {
    if (!(e instanceof QueueError)) throw e;
    say(`error: ${e.message}`);
    return false;
  }
  if (!warned.has(target.shown)) {
    warned.add(target.shown);
    const warning = await openRedisWarning(target);
    if (warning) say(`warning: ${target.redact(warning)}`);
  }
  return true;
}
