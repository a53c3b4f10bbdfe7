import { createRequire } from "node:module";
import { BufferPool } from "./pool.js";

const require = createRequire(import.meta.url);

type DataId = object;
interface CpuBackend {
  data: { get(id: DataId): { values: unknown } | undefined };
  disposeData(id: DataId, force?: boolean): boolean;
  dispose(): void;
}

const { MathBackendCPU } = require("@tensorflow/tfjs-backend-cpu") as {
  MathBackendCPU: new () => CpuBackend;
};

/** The cpu back end, with the arrays of disposed tensors kept for reuse by the native kernels. */
export class NativeBackend extends MathBackendCPU {
  readonly pool = new BufferPool();

  override disposeData(id: DataId, force = false): boolean {
    const values = this.data.get(id)?.values;
    const gone = super.disposeData(id, force);
    if (gone && values instanceof Float32Array) this.pool.give(values);
    return gone;
  }

  override dispose(): void {
    this.pool.clear();
    super.dispose();
  }
}
