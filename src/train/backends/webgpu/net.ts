import type { NativeLayer } from "../../../layers/index.js";
import type { ModelSpec, TrainingSpec } from "../../../model/index.js";
import { tf, type Variable } from "../../tf.js";
import type { EpochRun, EpochSums, WholeStep } from "../types.js";
import type { Dispatch, Kernels, Optimizer } from "./kernels.js";
import { gpuLayers } from "./layers/index.js";
import { layerMemory, Packed, packBytes, storage } from "./memory.js";
import { type StepBuffers, stepPlan } from "./plan.js";

/** Images and labels on the GPU, uploaded once per array. */
interface Uploaded {
  /** Which upload it is: part of its plans' keys. */
  id: number;
  images: GPUBuffer;
  labels: GPUBuffer;
}

/** Steps encoded into one command buffer before it is submitted. */
const STEPS_PER_SUBMIT = 64;

/**
 * The WebGPU back end's training: the network's variables, activations and gradients on the GPU,
 * the data sets uploaded once, and each epoch's steps (a dozen or so dispatches each, prepared
 * once) submitted without waiting; the steps' loss sums and hits are read back once per epoch.
 * The variables go back to TensorFlow.js (`sync`) only when the fit loop reads them.
 */
export class GpuNet implements WholeStep {
  readonly engine = "webgpu step";
  readonly slices = 1;
  private readonly device: GPUDevice;
  private readonly packed: Packed;
  private readonly memory: ReturnType<typeof layerMemory>;
  private readonly cap: number;
  private readonly buffers: GPUBuffer[] = [];
  private readonly uploads = new Map<Uint8Array, Uploaded>();
  private readonly plans = new Map<string, Dispatch[]>();
  private readonly cursor: GPUBuffer;
  private readonly batchLabels: GPUBuffer;
  private readonly lossRows: GPUBuffer;
  private readonly hitRows: GPUBuffer;
  private order: GPUBuffer;
  private draws: GPUBuffer;
  private stats: GPUBuffer;
  private readonly seconds = { encode: 0, wait: 0 };
  /** The errors, if any, of making the network's buffers. */
  private readonly made: Promise<(GPUError | null)[]>;

  constructor(
    gpu: GPUDevice,
    private readonly kernels: Kernels,
    private readonly layers: NativeLayer[],
    private readonly spec: ModelSpec,
    private readonly training: TrainingSpec,
    private readonly variables: Variable[],
    private readonly seed: number,
  ) {
    this.device = gpu;
    this.cap = Math.max(training.batchSize, 128);
    checkSizes(gpu, layers, this.cap, spec.classes);
    gpu.pushErrorScope("out-of-memory");
    gpu.pushErrorScope("validation");
    this.packed = new Packed(
      gpu,
      variables.map((v) => v.size),
    );
    this.memory = layerMemory(gpu, layers, this.cap, spec.classes);
    if (this.memory.variables !== variables.length)
      throw new Error(
        `webgpu: the layers hold ${this.memory.variables} variables, the network ${variables.length}`,
      );
    this.packed.upload(variables.map((v) => v.dataSync() as Float32Array));
    this.cursor = this.own(storage(gpu, 16));
    this.batchLabels = this.own(storage(gpu, this.cap * 4));
    this.lossRows = this.own(storage(gpu, this.cap * 4));
    this.hitRows = this.own(storage(gpu, this.cap * 4));
    this.order = this.own(storage(gpu, 16));
    this.draws = this.own(storage(gpu, 16));
    this.stats = this.own(storage(gpu, 16));
    this.made = Promise.all([gpu.popErrorScope(), gpu.popErrorScope()]);
  }

  /**
   * Runs `work` (which encodes and submits) and throws the first GPU error it caused: a
   * validation error or running out of memory would otherwise only leave buffers unwritten.
   */
  private async checked<T>(work: () => Promise<T>): Promise<T> {
    const madeErrors = (await this.made).filter((e) => e !== null);
    if (madeErrors[0])
      throw new Error(`webgpu: the network's buffers could not be made: ${madeErrors[0].message}`);
    this.device.pushErrorScope("out-of-memory");
    this.device.pushErrorScope("validation");
    const outcome = await work().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    // The scopes are popped whatever happened; a GPU error explains more than what followed from it.
    const errors = (await Promise.all([this.device.popErrorScope(), this.device.popErrorScope()])).filter(
      (e) => e !== null,
    );
    if (errors[0]) throw new Error(`webgpu: ${errors[0].message.split("\n")[0]}`);
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  }

  private own(b: GPUBuffer): GPUBuffer {
    this.buffers.push(b);
    return b;
  }

  /** The data's arrays on the GPU: labels zeroed for images that come without (inference). */
  private upload(images: Uint8Array, labels: Uint8Array | null): Uploaded {
    let u = this.uploads.get(images);
    if (!u) {
      const limit = this.device.limits.maxStorageBufferBindingSize;
      if (images.length > limit)
        throw new Error(
          `webgpu: the data set's ${mib(images.length)} of images are more than this GPU binds at once (${mib(limit)}); train it with backend native`,
        );
      const count = Math.floor(images.length / (this.layers[0]?.in ?? 1));
      u = {
        id: this.uploads.size,
        images: this.own(packBytes(this.device, images)),
        labels: this.own(labels ? packBytes(this.device, labels) : storage(this.device, count)),
      };
      this.uploads.set(images, u);
    }
    return u;
  }

  private plan(data: Uploaded, n: number, train: boolean): Dispatch[] {
    const key = `${train}:${n}:${data.id}`;
    let p = this.plans.get(key);
    if (!p) {
      const s: StepBuffers = {
        layers: this.layers,
        mem: this.memory.layers,
        logits: this.memory.logits,
        glogits: this.memory.glogits,
        packed: this.packed,
        classes: this.spec.classes,
        images: data.images,
        labels: data.labels,
        order: this.order,
        draws: this.draws,
        cursor: this.cursor,
        shape: this.spec.input,
        batchLabels: this.batchLabels,
        lossRows: this.lossRows,
        hitRows: this.hitRows,
        stats: this.stats,
        seed: this.seed,
      };
      const augment = this.spec.layers[0]?.type === "augment";
      p = stepPlan(this.kernels, s, n, { train, optimizer: optimizerOf(this.training), augment });
      this.plans.set(key, p);
    }
    return p;
  }

  /** Room for an epoch's order, augment draws and steps' sums; plans bound to smaller buffers are dropped. */
  private room(items: number, steps: number): void {
    if (items * 12 <= this.draws.size && steps * 8 <= this.stats.size) return;
    this.forgetPlans();
    for (const b of [this.order, this.draws, this.stats]) b.destroy();
    this.order = this.own(storage(this.device, items * 4));
    this.draws = this.own(storage(this.device, items * 12));
    this.stats = this.own(storage(this.device, steps * 8));
  }

  private forgetPlans(): void {
    for (const plan of this.plans.values()) for (const d of plan) d.uniform.destroy();
    this.plans.clear();
  }

  epoch(run: EpochRun): Promise<EpochSums> {
    return this.checked(() => this.epochOn(run));
  }

  private async epochOn(run: EpochRun): Promise<EpochSums> {
    const t0 = performance.now();
    const { count, batchSize } = run;
    const batches = Math.ceil(count / batchSize);
    this.room(count, batches);
    const data = this.upload(run.images, run.labels);
    this.device.queue.writeBuffer(this.order, 0, Uint32Array.from(run.order.subarray(0, count)));
    if (run.draws) this.device.queue.writeBuffer(this.draws, 0, run.draws, 0, count * 3);
    // The cursor's first two words; the third counts the run's steps on.
    this.device.queue.writeBuffer(this.cursor, 0, new Uint32Array([0, 0]));
    // Every step but a short last one takes the same plan: looked up once an epoch, not once a step.
    const full = this.plan(data, Math.min(batchSize, count), true);
    const short = count % batchSize;
    const last = short > 0 && batches > 1 ? this.plan(data, short, true) : full;
    for (let b = 0; b < batches; b += STEPS_PER_SUBMIT) {
      const encoder = this.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      for (let s = b; s < Math.min(batches, b + STEPS_PER_SUBMIT); s++)
        for (const d of s === batches - 1 ? last : full) this.kernels.encode(pass, d);
      pass.end();
      this.device.queue.submit([encoder.finish()]);
      // Progress as the GPU finishes the batches, not as they are sent.
      const sent = Math.min(batches, b + STEPS_PER_SUBMIT);
      if (run.onBatch) void this.device.queue.onSubmittedWorkDone().then(() => run.onBatch?.(sent));
    }
    const t1 = performance.now();
    const sums = await this.read(this.stats, batches * 2);
    this.seconds.encode += (t1 - t0) / 1000;
    this.seconds.wait += (performance.now() - t1) / 1000;
    let lossSum = 0;
    let correct = 0;
    let nonFinite: number | null = null;
    for (let s = 0; s < batches; s++) {
      const loss = sums[2 * s] as number;
      if (!Number.isFinite(loss) && nonFinite === null) nonFinite = s + 1;
      lossSum += loss;
      correct += sums[2 * s + 1] as number;
    }
    return { lossSum, correct, nonFinite };
  }

  /** Copies `words` floats of a buffer back to the host. */
  private async read(buffer: GPUBuffer, words: number, encoder = this.device.createCommandEncoder()) {
    const read = this.device.createBuffer({
      size: Math.max(16, words * 4),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    encoder.copyBufferToBuffer(buffer, 0, read, 0, words * 4);
    this.device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(read.getMappedRange(0, words * 4).slice(0));
    read.unmap();
    read.destroy();
    return out;
  }

  infer(images: Uint8Array, first: number, n: number): Promise<Float32Array> {
    return this.checked(() => this.inferOn(images, first, n));
  }

  private async inferOn(images: Uint8Array, first: number, n: number): Promise<Float32Array> {
    const classes = this.spec.classes;
    const data = this.upload(images, null);
    const out = this.device.createBuffer({
      size: Math.max(16, n * classes * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(this.cursor, 0, new Uint32Array([first, 0]));
    const encoder = this.device.createCommandEncoder();
    for (let done = 0; done < n; done += this.cap) {
      const m = Math.min(this.cap, n - done);
      const pass = encoder.beginComputePass();
      for (const d of this.plan(data, m, false)) this.kernels.encode(pass, d);
      pass.end();
      encoder.copyBufferToBuffer(this.memory.logits, 0, out, done * classes * 4, m * classes * 4);
    }
    const t0 = performance.now();
    const logits = await this.read(out, n * classes, encoder);
    this.seconds.wait += (performance.now() - t0) / 1000;
    out.destroy();
    return logits;
  }

  /** The GPU's weights into the network's variables. */
  async sync(): Promise<void> {
    const all = await this.read(this.packed.weights, this.packed.total);
    this.packed.unpack(all).forEach((values, i) => {
      const v = this.variables[i] as Variable;
      const t = tf.tensor(values, v.shape);
      v.assign(t);
      t.dispose();
    });
  }

  /** The optimizer's buffers as TensorFlow.js' optimizer orders its slots (see kernels.ts' update). */
  async optimizerSlots(): Promise<Float32Array[][]> {
    const p = this.packed;
    // The trained variables come first; the moving statistics have no slots.
    const trained = this.variables.filter((v) => v.trainable).length;
    const unpack = async (b: GPUBuffer) => p.unpack(await this.read(b, p.total)).slice(0, trained);
    const t = this.training;
    if (t.optimizer === "adam") return [await unpack(p.velocity), await unpack(p.second)];
    // RMSprop's mean squares, then its moments (zero: no momentum).
    if (t.optimizer === "rmsprop") {
      const squares = await unpack(p.second);
      return [squares, squares.map((a) => new Float32Array(a.length))];
    }
    return t.momentum > 0 ? [await unpack(p.velocity)] : [];
  }

  restoreOptimizer(slots: Float32Array[][], steps: number): void {
    const p = this.packed;
    const [first, second] = slots;
    if (this.training.optimizer === "rmsprop") {
      if (first) p.upload(first, p.second);
    } else {
      if (first) p.upload(first, p.velocity);
      if (second) p.upload(second, p.second);
    }
    // The cursor's third word counts the run's steps (Adam's bias correction, dropout's masks).
    this.device.queue.writeBuffer(this.cursor, 8, new Uint32Array([steps]));
  }

  profile(): Record<string, number> {
    return { ...this.seconds };
  }

  dispose(): void {
    this.forgetPlans();
    const p = this.packed;
    for (const b of [...this.buffers, p.weights, p.grads, p.velocity, p.second]) b.destroy();
    for (const m of this.memory.layers) for (const b of [m.x, m.gx, ...Object.values(m.own)]) b?.destroy();
    this.memory.logits.destroy();
    this.memory.glogits.destroy();
  }
}

/** The optimizer as TensorFlow.js' is made for a run (src/train/fit.ts: makeOptimizer). */
function optimizerOf(t: TrainingSpec): Optimizer {
  switch (t.optimizer) {
    case "sgd":
      return { kind: "sgd", learningRate: t.learningRate, momentum: t.momentum };
    case "adam":
      return { kind: "adam", learningRate: t.learningRate, momentum: 0.9, beta2: 0.999, epsilon: 1e-7 };
    case "rmsprop":
      return { kind: "rmsprop", learningRate: t.learningRate, momentum: 0.9, epsilon: 1e-7 };
  }
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;

/** Refuses a network whose buffers for a batch of `cap` are more than the GPU binds at once. */
function checkSizes(device: GPUDevice, layers: NativeLayer[], cap: number, classes: number): void {
  const limit = device.limits.maxStorageBufferBindingSize;
  for (const [i, l] of layers.entries()) {
    const own = Object.values(gpuLayers[l.kind]?.buffers?.(l, cap) ?? {});
    const values = Math.max(l.in, i === layers.length - 1 ? classes : l.out);
    const largest = Math.max(cap * values * 4, ...own);
    if (largest > limit)
      throw new Error(
        `webgpu: layer ${i + 1} (${l.kind}) needs ${mib(largest)} for a batch of ${cap}, more than this GPU binds at once (${mib(limit)}); lower the batch`,
      );
  }
}
