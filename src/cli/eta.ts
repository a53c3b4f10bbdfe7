/**
 * Seconds until every unit is trained, by list scheduling: each lane (a worker process, or a queue
 * worker) finishes its unit in flight, then takes the next queued unit when it is the first free.
 * A long run that only one lane can train weighs as it will, not spread over every lane. `rate` is
 * the training steps one lane does per second; null until there is one.
 */
export function etaSeconds(o: {
  rate: number;
  lanes: number;
  inFlight: number[];
  queued: number[];
}): number | null {
  if (!(o.rate > 0)) return null;
  const loads = o.inFlight.map((n) => Math.max(0, n));
  while (loads.length < Math.max(1, o.lanes)) loads.push(0);
  for (const q of o.queued) {
    let min = 0;
    for (let i = 1; i < loads.length; i++) if ((loads[i] as number) < (loads[min] as number)) min = i;
    loads[min] = (loads[min] as number) + q;
  }
  return Math.max(...loads) / o.rate;
}

/** Seconds as 45s, 12m05s or 3h20m. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
