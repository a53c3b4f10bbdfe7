import { probe, QueueError } from "../queue/connect.js";
import type { QueueTarget } from "../queue/url.js";
import type { Io } from "./io.js";

/** Connects to the queue's Redis once; prints why not and says false when it cannot. */
export async function reachQueue(target: QueueTarget, io: Io): Promise<boolean> {
  try {
    await probe(target);
    return true;
  } catch (e) {
    if (!(e instanceof QueueError)) throw e;
    io.err(`error: ${e.message}`);
    return false;
  }
}
