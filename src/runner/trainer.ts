import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Backend } from "../model/index.js";
import type { SavedCheckpoint } from "../store/checkpoint.js";
import type { Progress } from "../train/types.js";
import type { FromWorker, ToWorker, Unit } from "./protocol.js";
import { threadsWanted, trainingEnv } from "./threads.js";

/** How a unit ended on a training process: its results, or why it failed. */
export type Outcome = Extract<FromWorker, { type: "done" | "failed" }>;

const childPath = fileURLToPath(new URL("./child.js", import.meta.url));

interface Current {
  run: string;
  resolve(o: Outcome): void;
  progress(p: Progress): void;
}

/**
 * One training process (child.ts) with a TensorFlow.js of its own: trains one unit at a time and
 * resolves with its results. If the process dies mid-unit, the unit resolves as failed with how it
 * died and the end of its stderr. Used by the local runner and by `cnnp worker`.
 */
export class Trainer {
  private readonly child: ChildProcess;
  private stderr = "";
  private ready = false;
  private current: Current | null = null;
  private pending: ToWorker | null = null;
  exited = false;

  constructor(hooks: {
    /** What the process is called in messages: "worker process", "training process". */
    what: string;
    notice(text: string): void;
    exit(t: Trainer): void;
  }) {
    // One thread per process unless asked (CNNP_THREADS): parallelism comes from the processes.
    const env = trainingEnv(process.env, threadsWanted());
    this.child = fork(childPath, [], { stdio: ["ignore", "ignore", "pipe", "ipc"], env });
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (s: string) => {
      this.stderr = (this.stderr + s).slice(-2000);
    });
    this.child.on("message", (m: FromWorker) => {
      if (m.type === "ready") {
        this.ready = true;
        if (this.pending) this.child.send(this.pending);
        this.pending = null;
      } else if (m.type === "notice") hooks.notice(m.text);
      else if (m.type === "progress") this.current?.progress(m.progress);
      else this.settle(m);
    });
    this.child.on("exit", (code, signal) => {
      this.exited = true;
      if (this.current) {
        const tail = this.stderr.trim().split("\n").slice(-3).join(" / ");
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        this.settle({
          type: "failed",
          run: this.current.run,
          error: `the ${hooks.what} ${how}${signal === "SIGKILL" ? " (out of memory?)" : ""}${tail ? `: ${tail}` : ""}`,
        });
      }
      hooks.exit(this);
    });
  }

  get busy(): boolean {
    return this.current !== null;
  }

  /** Trains the unit's run and cuts out its jobs' results. */
  train(
    unit: Unit,
    data: { dir: string; checksum: string },
    backend: Backend,
    progress: (p: Progress) => void,
    resume?: SavedCheckpoint,
  ): Promise<Outcome> {
    return new Promise((resolve) => {
      if (this.exited || this.current) {
        resolve({ type: "failed", run: unit.run.id, error: "internal: the training process is not free" });
        return;
      }
      this.current = { run: unit.run.id, resolve, progress };
      const m: ToWorker = { type: "train", unit, data, backend, ...(resume ? { resume } : {}) };
      if (this.ready) this.child.send(m);
      else this.pending = m;
    });
  }

  /** Lets the process exit once idle (it finishes nothing: call it when no unit is in flight). */
  close(): void {
    if (!this.exited) this.child.send({ type: "exit" } satisfies ToWorker, () => {});
  }

  /** Stops the process now; a unit in flight resolves as failed. */
  kill(): void {
    if (!this.exited) this.child.kill("SIGTERM");
  }

  private settle(m: Outcome): void {
    const c = this.current;
    this.current = null;
    c?.resolve(m);
  }
}
