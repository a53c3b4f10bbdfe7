import { basename } from "node:path";
import { SingleBar } from "cli-progress";
import { writeFileAtomic } from "../util/atomic-write.js";

export interface DownloadOptions {
  /** Returns a reason when the bytes are not what was expected; the file is then not kept. */
  verify: (bytes: Uint8Array) => string | undefined;
  log?: (line: string) => void;
  timeoutMs?: number;
}

/**
 * Downloads a URL to a file atomically: the bytes are verified, written to a temporary file beside
 * the target, flushed to disk and renamed, so the target is either whole and verified or absent.
 */
export async function download(url: string, target: string, opts: DownloadOptions): Promise<void> {
  const name = basename(target);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  const total = Number(res.headers.get("content-length") ?? 0);
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new SingleBar({
        format: `${name} [{bar}] {percentage}% {value}/{total} KiB {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
      })
    : undefined;
  bar?.start(Math.max(1, Math.round(total / 1024)), 0);
  if (!tty) opts.log?.(`downloading ${url} (${total ? `${Math.round(total / 1024)} KiB` : "size unknown"})`);
  const chunks: Uint8Array[] = [];
  let got = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      chunks.push(chunk);
      got += chunk.length;
      bar?.update(Math.round(got / 1024));
    }
  } finally {
    bar?.stop();
  }
  const bytes = Buffer.concat(chunks);
  const bad = opts.verify(bytes);
  if (bad) throw new Error(`${url}: ${bad}`);
  writeFileAtomic(target, bytes);
  opts.log?.(`saved ${target} (verified)`);
}
