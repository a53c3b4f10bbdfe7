import { availableParallelism } from "node:os";

/**
 * How `cnnp run` lays training out on a machine's cores when not told: one worker process per
 * core, one OpenMP thread each. `npm run bench study` measures this against one worker using
 * every core and says which was faster here.
 */
export function defaultLayout(cores = availableParallelism()): { workers: number; threads: number } {
  return { workers: Math.max(1, cores), threads: 1 };
}

/**
 * The environment of a training process with `threads` OpenMP threads. Threads that wait sleep
 * (OMP_WAIT_POLICY=PASSIVE) instead of spinning: with other work on the cores, spinning threads
 * take the cores from the thread they wait for, and 2 threads ran 15x slower than 1 here. A
 * policy already in the environment is kept.
 */
export function trainingEnv(base: NodeJS.ProcessEnv, threads: number | string): NodeJS.ProcessEnv {
  return { ...base, OMP_NUM_THREADS: String(threads), OMP_WAIT_POLICY: base.OMP_WAIT_POLICY ?? "PASSIVE" };
}

/** The threads per training process: CNNP_THREADS, else OMP_NUM_THREADS, else the default layout's. */
export function threadsWanted(env: NodeJS.ProcessEnv = process.env): string {
  return env.CNNP_THREADS ?? env.OMP_NUM_THREADS ?? String(defaultLayout().threads);
}
