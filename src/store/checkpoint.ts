import { z } from "zod";

/** An epoch's record as a checkpoint keeps it (the fit loop's EpochRecord). */
export interface CheckpointRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  val: { loss: number; accuracy: number; seconds: number } | null;
  test: { loss: number; accuracy: number; seconds: number; confusion: number[][] } | null;
  seconds: number;
}

/**
 * What a run keeps after its last epoch so that a later `cnnp run` continues it instead of
 * training it again (successive halving's candidates go on from one rung to the next): every
 * weight, the optimizer's state, where each random stream stands, the shuffled order the next
 * shuffle starts from, and the epochs' records so far. Continuing from it gives what training
 * straight through gives.
 */
export interface Checkpoint {
  /** Epochs trained. */
  epoch: number;
  records: CheckpointRecord[];
  /** Every weight in the network's order (`Network.weights`). */
  weights: Float32Array[];
  /** The optimizer's slots (momentum's velocity; Adam's two moments), each an array per trained variable. */
  slots: Float32Array[][];
  /** Optimizer steps taken. */
  steps: number;
  /** The shuffle and dropout streams' states, and the augment stream's (null without augment). */
  shuffle: number[];
  dropout: number[];
  augment: number[] | null;
  /** The order the last epoch trained in: the next epoch's shuffle starts from it. */
  order: Int32Array;
  /** Training seconds so far (the run's step time). */
  stepSeconds: number;
}

const base64 = (a: Float32Array | Int32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");

function floats(text: string): Float32Array {
  const b = Buffer.from(text, "base64");
  if (b.byteLength % 4 !== 0) throw new Error("not whole float32 values");
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function ints(text: string): Int32Array {
  const b = Buffer.from(text, "base64");
  if (b.byteLength % 4 !== 0) throw new Error("not whole int32 values");
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

const state = z.array(z.number().int().min(0).max(0xffffffff)).length(4);
const evaluation = z.object({
  loss: z.number(),
  accuracy: z.number().min(0).max(1),
  seconds: z.number().min(0),
});

/** A checkpoint as JSON keeps it (and as it travels to a worker process): arrays in base64. */
export const savedCheckpoint = z.strictObject({
  checkpoint: z.literal(1),
  run: z.string().min(1).max(200),
  epoch: z.number().int().min(1),
  records: z.array(
    z.object({
      epoch: z.number().int().min(1),
      loss: z.number(),
      accuracy: z.number().min(0).max(1),
      val: evaluation.nullable(),
      test: evaluation.extend({ confusion: z.array(z.array(z.number().int().min(0))) }).nullable(),
      seconds: z.number().min(0),
    }),
  ),
  weights: z.array(z.string()),
  slots: z.array(z.array(z.string())),
  steps: z.number().int().min(0),
  shuffle: state,
  dropout: state,
  augment: state.nullable(),
  order: z.string(),
  stepSeconds: z.number().min(0),
});
export type SavedCheckpoint = z.infer<typeof savedCheckpoint>;

export function saveCheckpoint(run: string, c: Checkpoint): SavedCheckpoint {
  return {
    checkpoint: 1,
    run,
    epoch: c.epoch,
    records: c.records,
    weights: c.weights.map(base64),
    slots: c.slots.map((slot) => slot.map(base64)),
    steps: c.steps,
    shuffle: c.shuffle,
    dropout: c.dropout,
    augment: c.augment,
    order: base64(c.order),
    stepSeconds: c.stepSeconds,
  };
}

/** A saved checkpoint's arrays, or why they cannot be read. */
export function loadCheckpoint(s: SavedCheckpoint): Checkpoint | string {
  if (s.records.length !== s.epoch) return `it records ${s.records.length} epochs, not ${s.epoch}`;
  try {
    return {
      epoch: s.epoch,
      records: s.records,
      weights: s.weights.map(floats),
      slots: s.slots.map((slot) => slot.map(floats)),
      steps: s.steps,
      shuffle: s.shuffle,
      dropout: s.dropout,
      augment: s.augment,
      order: ints(s.order),
      stepSeconds: s.stepSeconds,
    };
  } catch (e) {
    return (e as Error).message;
  }
}

/** Why a checkpoint's arrays are not those of a network with these weights and training images, or null. */
export function checkpointMismatch(c: Checkpoint, weights: number[], trainCount: number): string | null {
  if (c.weights.length !== weights.length)
    return `it holds ${c.weights.length} weight arrays, the network ${weights.length}`;
  const bad = c.weights.findIndex((w, i) => w.length !== weights[i]);
  if (bad >= 0)
    return `its weight array ${bad + 1} holds ${c.weights[bad]?.length} values, not ${weights[bad]}`;
  if (c.order.length !== trainCount) return `its order has ${c.order.length} items, not ${trainCount}`;
  if (c.order.some((i) => i < 0 || i >= trainCount)) return "its order names images outside the training set";
  return null;
}
