import { availableParallelism } from "node:os";
import type { Backend } from "../../model/index.js";
import { parseQueueUrl } from "../../queue/url.js";
import type { Display, Tracker } from "../../run/progress.js";
import { type RunRequest, runSession } from "../../run/session.js";
import { defaultLayout } from "../../runner/threads.js";
import { wholeNumber } from "../flags.js";
import type { Io } from "../io.js";
import { LiveDisplay } from "../live-display.js";
import { PlainDisplay } from "../plain-display.js";

export interface RunOptions {
  results?: string;
  backend?: Backend;
  data?: string;
  only?: string;
  json?: boolean;
  workers?: string;
  queue?: string;
  attempts?: string;
  /** With --queue: a file whose first line is the Redis password. */
  redisPasswordFile?: string;
  progress?: string;
  dryRun?: boolean;
}

/** The session's request from the flags, and how often a plain display prints progress; or what is wrong. */
function parseFlags(
  file: string,
  opts: RunOptions,
): { request: RunRequest; progressSeconds: number } | string {
  const cores = availableParallelism();
  const workers = wholeNumber("--workers", opts.workers ?? String(defaultLayout(cores).workers), 1, 256);
  if (typeof workers === "string") return `${workers}; the default is the number of cores (${cores})`;
  const progressSeconds = wholeNumber("--progress", opts.progress ?? "60", 0, 86_400);
  if (typeof progressSeconds === "string") return progressSeconds;
  const request: RunRequest = {
    file,
    results: opts.results,
    backend: opts.backend,
    data: opts.data,
    only: opts.only,
    json: Boolean(opts.json),
    dryRun: Boolean(opts.dryRun),
    workers,
  };
  if (opts.queue === undefined) return { request, progressSeconds };
  const target = parseQueueUrl(opts.queue, { passwordFile: opts.redisPasswordFile });
  if (typeof target === "string") return target;
  const attempts = wholeNumber("--attempts", opts.attempts ?? "3", 1, 100);
  if (typeof attempts === "string") return attempts;
  return { request: { ...request, queue: { target, attempts } }, progressSeconds };
}

/**
 * `cnnp run FILE`: finds the jobs of the plan (or of `--only`'s experiment) without a valid result,
 * has the local pool or the queue train them (see src/run/session.ts), and prints each as its
 * result file is written: bars on a terminal, plain lines and a progress line otherwise.
 */
export async function runCommand(file: string, opts: RunOptions, io: Io): Promise<number> {
  const flags = parseFlags(file, opts);
  if (typeof flags === "string") {
    io.err(`error: ${flags}`);
    return 2;
  }
  const display = (tracker: Tracker, training: boolean): Display =>
    Boolean(process.stderr.isTTY) && !opts.json && training
      ? new LiveDisplay(io, tracker)
      : new PlainDisplay(io, tracker, flags.progressSeconds);
  return runSession(flags.request, {
    out: (text) => io.out(text),
    err: (text) => io.err(text),
    color: io.color,
    display,
  });
}
