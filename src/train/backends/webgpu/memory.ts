import type { NativeLayer } from "../../../layers/index.js";
import type { Binding } from "./kernels.js";
import { gpuLayers } from "./layers/index.js";

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** A storage buffer of `bytes` (at least 16), zeroed. */
export function storage(device: GPUDevice, bytes: number): GPUBuffer {
  return device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: STORAGE() });
}

/** Bytes packed four to a 32-bit word, as the kernels read them (zero-padded). */
export function packBytes(device: GPUDevice, bytes: Uint8Array): GPUBuffer {
  const b = storage(device, bytes.length);
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  device.queue.writeBuffer(b, 0, padded);
  return b;
}

/**
 * The network's variables packed into four buffers, weights, gradients and the optimizer's two
 * states, each variable at an offset the bind groups may start at (256 bytes), so one dispatch
 * updates them all (a variable no gradient reaches, a moving statistic, keeps a zero gradient).
 */
export class Packed {
  readonly offsets: number[] = [];
  readonly total: number;
  readonly weights: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly velocity: GPUBuffer;
  readonly second: GPUBuffer;

  constructor(
    private readonly device: GPUDevice,
    readonly sizes: number[],
  ) {
    let at = 0;
    for (const n of sizes) {
      this.offsets.push(at);
      at += Math.ceil(n / 64) * 64;
    }
    this.total = Math.max(at, 64);
    this.weights = storage(device, this.total * 4);
    this.grads = storage(device, this.total * 4);
    this.velocity = storage(device, this.total * 4);
    this.second = storage(device, this.total * 4);
  }

  /** Variable i of a packed buffer, as a binding. */
  slot(buffer: GPUBuffer, i: number): Binding {
    return {
      buffer,
      offset: (this.offsets[i] as number) * 4,
      size: Math.max(16, (this.sizes[i] as number) * 4),
    };
  }

  upload(values: Float32Array[], into: GPUBuffer = this.weights): void {
    const all = new Float32Array(this.total);
    for (const [i, v] of values.entries()) all.set(v, this.offsets[i]);
    this.device.queue.writeBuffer(into, 0, all);
  }

  /** The variables' values from a read-back of the weights buffer. */
  unpack(all: Float32Array): Float32Array[] {
    return this.sizes.map((n, i) => all.slice(this.offsets[i], (this.offsets[i] as number) + n));
  }
}

/** What each layer holds on the GPU for a batch of up to `cap` images. */
export interface LayerMemory {
  /** Its input's values and gradient (the previous layer's output). */
  x: GPUBuffer;
  gx: GPUBuffer | null;
  /** Its own buffers (a max pool's places of the maxima, a dropout's mask), by name. */
  own: Record<string, GPUBuffer>;
  /** Its variables' indices into the packed buffers, in its own order (trained ones first). */
  vars: number[];
}

/** A layer's variables, trained and others, as its kind counts them (null for a kind without kernels). */
function variablesOf(l: NativeLayer): [number, number] | null {
  const kind = gpuLayers[l.kind];
  if (!kind) return null;
  return typeof kind.variables === "function" ? kind.variables(l) : kind.variables;
}

/**
 * Activations and gradients for every layer (a flatten shares its input's buffers) and the
 * logits with their gradient at the end; variables are numbered in the network's order.
 */
export function layerMemory(device: GPUDevice, layers: NativeLayer[], cap: number, classes: number) {
  const mem: LayerMemory[] = [];
  // The network's order (src/train/network.ts): every layer's trained variables, then the others.
  let nextVar = 0;
  let nextOther = layers.reduce((s, l) => s + (variablesOf(l)?.[0] ?? 0), 0);
  let x = storage(device, cap * (layers[0]?.in ?? 0) * 4);
  let gx: GPUBuffer | null = null;
  for (const [i, l] of layers.entries()) {
    const kind = gpuLayers[l.kind];
    if (!kind) throw new Error(`webgpu: no kernels for layer ${l.kind}`);
    const [trained, others] = variablesOf(l) ?? [0, 0];
    const vars = [
      ...Array.from({ length: trained }, (_, k) => nextVar + k),
      ...Array.from({ length: others }, (_, k) => nextOther + k),
    ];
    const own = Object.fromEntries(
      Object.entries(kind.buffers?.(l, cap) ?? {}).map(([name, bytes]) => [name, storage(device, bytes)]),
    );
    mem.push({ x, gx, vars, own });
    nextVar += trained;
    nextOther += others;
    if (!kind.passThrough) {
      const last = i === layers.length - 1;
      x = storage(device, cap * (last ? classes : l.out) * 4);
      gx = storage(device, cap * (last ? classes : l.out) * 4);
    }
  }
  // The output's gradient is the loss's; the first layer's input needs none.
  if (mem[0]) mem[0].gx = null;
  return { layers: mem, logits: x, glogits: gx as GPUBuffer, variables: nextOther };
}
