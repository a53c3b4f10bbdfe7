/**
 * Runs `fn` with Ctrl-C and SIGTERM turned into an abort; says which signal came. A second signal
 * stops the process at once (the training processes end with it; queued runs stay queued). After
 * an abort, whatever a client of Redis left running (a reconnect timer, with Redis gone) cannot
 * keep the process alive: it ends half a second after the command returns.
 */
export async function interruptible<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  say: (line: string) => void,
): Promise<{ value: T; signal?: NodeJS.Signals }> {
  const abort = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    if (signalled) {
      say(`${s} again: stopping now`);
      process.exit(s === "SIGTERM" ? 143 : 130);
    }
    signalled = s;
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const value = await fn(abort.signal);
    return signalled ? { value, signal: signalled } : { value };
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    if (signalled) setTimeout(() => process.exit(), 500).unref();
  }
}
