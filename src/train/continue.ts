import type { Checkpoint } from "../store/checkpoint.js";
import type { WholeStep } from "./backends/index.js";
import type { Network } from "./network.js";
import type { Rng } from "./rng.js";
import { tf, type Variable } from "./tf.js";

/**
 * A run's state into a checkpoint and back (checkpoint.ts): the weights, the optimizer's slots
 * from TensorFlow.js' optimizer or the back end's whole step, and the random streams.
 */

/** What this file needs of TensorFlow.js' optimizers (SGD, momentum, Adam, RMSprop alike). */
type Optimizer = Pick<ReturnType<typeof tf.train.sgd>, "getWeights" | "setWeights">;

/** TensorFlow.js' optimizer's slots (after its step count), as arrays per trained variable. */
async function tfjsSlots(optimizer: Optimizer, variables: Variable[]): Promise<Float32Array[][]> {
  const [, ...rest] = await optimizer.getWeights();
  const n = variables.length;
  if (rest.length % n !== 0) throw new Error(`internal: ${rest.length} optimizer arrays for ${n} variables`);
  const values = await Promise.all(rest.map(async (w) => Float32Array.from(await w.tensor.data())));
  return Array.from({ length: rest.length / n }, (_, j) => values.slice(j * n, (j + 1) * n));
}

/** Puts slots and a step count back into TensorFlow.js' optimizer. */
async function restoreTfjs(
  optimizer: Optimizer,
  variables: Variable[],
  slots: Float32Array[][],
  steps: number,
) {
  const tensors = slots.flatMap((slot, j) =>
    slot.map((a, i) => {
      const v = variables[i] as Variable;
      if (a.length !== v.size)
        throw new Error(`the checkpoint's optimizer slot ${j + 1} does not fit ${v.name}`);
      return { name: `${v.name}/slot${j}`, tensor: tf.tensor(a, v.shape) };
    }),
  );
  const iterations = { name: "iter", tensor: tf.scalar(steps, "int32") };
  await optimizer.setWeights([iterations, ...tensors]);
  tf.dispose([iterations.tensor, ...tensors.map((t) => t.tensor)]);
  restoreAdamPowers(optimizer, steps);
}

/**
 * Adam's running powers of beta1 and beta2 as its steps leave them: multiplied by beta once a
 * step in float32, which `setWeights`' pow(beta, steps + 1) does not give to the bit.
 */
function restoreAdamPowers(optimizer: Optimizer, steps: number): void {
  const adam = optimizer as unknown as Partial<Record<"beta1" | "beta2", number>> &
    Partial<Record<"accBeta1" | "accBeta2", Variable>>;
  for (const [beta, acc] of [
    [adam.beta1, adam.accBeta1],
    [adam.beta2, adam.accBeta2],
  ] as const) {
    if (beta === undefined || !acc) continue;
    const b = Math.fround(beta);
    let power = b;
    for (let i = 0; i < steps; i++) power = Math.fround(power * b);
    const t = tf.scalar(power);
    acc.assign(t);
    t.dispose();
  }
}

/** Whether a run on this whole step (or kernel by kernel, null) can keep and take back its optimizer's state. */
export const continuable = (whole: WholeStep | null) =>
  whole === null || (whole.optimizerSlots !== undefined && whole.restoreOptimizer !== undefined);

export interface Streams {
  shuffle: Rng;
  net: Network;
  augment: { state(): number[]; restore(s: number[]): void } | null;
}

const stateOf = (rng: Rng) => {
  const s = new Uint32Array(4);
  rng.saveState(s);
  return [...s];
};

/** Everything the run holds after `epoch` epochs, as a checkpoint. */
export async function checkpointOf(
  at: {
    epoch: number;
    steps: number;
    stepSeconds: number;
    order: Int32Array;
    records: Checkpoint["records"];
  },
  net: Network,
  whole: WholeStep | null,
  optimizer: Optimizer,
  streams: Streams,
): Promise<Checkpoint> {
  await whole?.sync?.();
  const slots = whole?.optimizerSlots
    ? await whole.optimizerSlots()
    : await tfjsSlots(optimizer, net.variables);
  return {
    ...at,
    order: at.order.slice(),
    records: [...at.records],
    weights: net.weights.map((v) => (v.dataSync() as Float32Array).slice()),
    slots,
    shuffle: stateOf(streams.shuffle),
    dropout: stateOf(net.dropout),
    augment: streams.augment?.state() ?? null,
  };
}

/** The checkpoint's weights into the network, before a whole step copies them. */
export function restoreWeights(net: Network, c: Checkpoint): void {
  net.weights.forEach((v, i) => {
    const t = tf.tensor(c.weights[i] as Float32Array, v.shape);
    v.assign(t);
    t.dispose();
  });
}

/** The optimizer's state and the random streams as the checkpoint has them. */
export async function restoreState(
  c: Checkpoint,
  whole: WholeStep | null,
  optimizer: Optimizer,
  net: Network,
  streams: Streams,
): Promise<void> {
  if (whole?.restoreOptimizer) whole.restoreOptimizer(c.slots, c.steps);
  else await restoreTfjs(optimizer, net.variables, c.slots, c.steps);
  streams.shuffle.loadState(Uint32Array.from(c.shuffle));
  net.dropout.loadState(Uint32Array.from(c.dropout));
  if (streams.augment && c.augment) streams.augment.restore(c.augment);
}
