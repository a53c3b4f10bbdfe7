import { DataError, type Dataset, loadDataset } from "../../data/load.js";
import { namedSets } from "../../model/datasets.js";
import type { Backend, DatasetName } from "../../model/index.js";
import { reachQueue } from "../../queue/reach.js";
import { parseQueueUrl } from "../../queue/url.js";
import { serve } from "../../queue/worker.js";
import { wholeNumber } from "../flags.js";
import type { Io } from "../io.js";

export interface WorkerCommandOptions {
  queue: string;
  backend?: Backend;
  concurrency?: string;
  data?: string;
  dataset?: Exclude<DatasetName, "folder">;
  stallTimeout?: string;
  /** A file whose first line is the Redis password (kept out of the URL, and so out of `ps`). */
  redisPasswordFile?: string;
}

/**
 * `cnnp worker --queue URL`: trains runs that `cnnp run --queue` put on the queue, on this machine,
 * until stopped. Exit 0 after Ctrl-C once (runs in flight finish), 130 after twice, 2 on bad
 * flags, missing data, an unreachable Redis, or data that differ from a coordinator's.
 */
export async function workerCommand(opts: WorkerCommandOptions, io: Io): Promise<number> {
  const target = parseQueueUrl(opts.queue, { passwordFile: opts.redisPasswordFile });
  const concurrency = wholeNumber("--concurrency", opts.concurrency ?? "1", 1, 64);
  const stall = wholeNumber("--stall-timeout", opts.stallTimeout ?? "30", 2, 3600);
  for (const problem of [target, concurrency, stall])
    if (typeof problem === "string") {
      io.err(`error: ${problem}`);
      return 2;
    }
  if (typeof target === "string" || typeof concurrency === "string" || typeof stall === "string") return 2;
  if (!(await reachQueue(target, (line) => io.err(line)))) return 2;
  let data: Dataset;
  try {
    data = await loadDataset(
      { name: opts.dataset ?? "fashion_mnist" },
      { dir: opts.data, log: (l) => io.err(l) },
    );
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    io.err(`error: ${e.message}`);
    return 2;
  }
  // Signals are taken from before the worker serves: one that came while it started up (after
  // its "waiting for runs" line, say) stops it as it would a moment later.
  let running: Awaited<ReturnType<typeof serve>> | undefined;
  let early = 0;
  const onSignal = () => {
    if (running) running.interrupt();
    else early++;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let code: number;
  try {
    const served = await serve({
      target,
      data: {
        dir: data.dir,
        checksum: data.checksum,
        title: namedSets[data.name as Exclude<DatasetName, "folder">].title,
      },
      backend: opts.backend ?? "auto",
      concurrency,
      stallSeconds: stall,
      log: (line) => io.err(line),
    });
    running = served;
    for (; early > 0; early--) served.interrupt();
    code = await served.finished;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  // A stop that did not wait for Redis leaves BullMQ's timers (lock renewal, stalled checks,
  // reconnects) behind, which would keep the process alive: end it, unless it ends by itself.
  setTimeout(() => process.exit(code), 500).unref();
  return code;
}
