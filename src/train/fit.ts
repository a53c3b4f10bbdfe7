import type { Dataset } from "../data/dataset.js";
import type { DataSpec, ModelSpec, TrainingSpec } from "../model/index.js";
import { type Checkpoint, checkpointMismatch } from "../store/checkpoint.js";
import { Augmenter } from "./augment.js";
import { activeBackend, type WholeStep } from "./backends/index.js";
import { checkpointOf, continuable, restoreState, restoreWeights } from "./continue.js";
import { EarlyStopping } from "./early-stopping.js";
import { buildNetwork, type Network } from "./network.js";
import { Rng, streams } from "./rng.js";
import { batchesPerEpoch, trainSplit } from "./split.js";
import { type Scalar, type Tensor, type Tensor2D, tf, type Variable } from "./tf.js";
import type { EpochRecord, Evaluation, Progress, TestEvaluation, TrainOutcome } from "./types.js";

export interface FitRequest {
  model: ModelSpec;
  training: TrainingSpec;
  data: DataSpec;
  seed: number;
  /** Epochs to train (early stopping may end sooner). */
  epochs: number;
  /** Epochs after which to evaluate on the test set; the last epoch trained is always evaluated. */
  evaluateAt: number[];
  /** Epochs after which to keep a copy of the weights; the last epoch trained is kept too. */
  saveAt?: number[];
  /** A checkpoint of this run after fewer epochs: training continues from it. */
  resume?: Checkpoint;
  /** Keep a checkpoint after the last epoch, for a later continuation (not with early stopping). */
  keep?: boolean;
}

export interface FitHooks {
  /** Called once the network is built, before the first step (Keras' on_train_begin). */
  onStart?: (net: Network) => void;
  onBatch?: (p: Progress) => void;
  onEpoch?: (r: EpochRecord) => void;
}

/** Images as a float tensor batch [n, h, w, c], pixels divided by 255. */
class Slice {
  constructor(
    readonly images: Uint8Array,
    readonly labels: Uint8Array,
    readonly start: number,
    readonly count: number,
    readonly pixels: number,
  ) {}

  /** Items `from..to` of `indices` (of the slice itself when null). */
  batch(
    indices: Int32Array | null,
    from: number,
    to: number,
    shape: [number, number, number],
    augment: Augmenter | null = null,
  ) {
    const n = to - from;
    const x = new Float32Array(n * this.pixels);
    const y = new Int32Array(n);
    const items = new Int32Array(n);
    for (let i = 0; i < n; i++) items[i] = this.start + (indices ? (indices[from + i] as number) : from + i);
    const images = augment ? augment.batch(this.images, items) : this.images;
    for (let i = 0; i < n; i++) {
      const src = (augment ? i : (items[i] as number)) * this.pixels;
      for (let p = 0; p < this.pixels; p++) x[i * this.pixels + p] = (images[src + p] as number) / 255;
      y[i] = this.labels[items[i] as number] as number;
    }
    return { x: tf.tensor4d(x, [n, ...shape]), y: tf.tensor1d(y, "int32"), n };
  }
}

function makeOptimizer(t: TrainingSpec) {
  switch (t.optimizer) {
    case "sgd":
      return t.momentum > 0 ? tf.train.momentum(t.learningRate, t.momentum) : tf.train.sgd(t.learningRate);
    case "adam":
      return tf.train.adam(t.learningRate, 0.9, 0.999, 1e-7);
    case "rmsprop":
      return tf.train.rmsprop(t.learningRate, 0.9, 0, 1e-7);
  }
}

/** Sparse categorical cross-entropy, mean over the batch, as Keras computes it. */
function lossOf(net: Network, out: Tensor2D, y: Tensor): Tensor {
  const classes = out.shape[1] as number;
  const oneHot = tf.oneHot(y as Parameters<typeof tf.oneHot>[0], classes);
  if (net.logits) return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(out)), 1)));
  // Not a softmax output: Keras normalises, clips to [1e-7, 1 - 1e-7] and takes the log.
  const p = tf.clipByValue(tf.div(out, tf.sum(out, 1, true)), 1e-7, 1 - 1e-7);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(p)), 1)));
}

function correctOf(out: Tensor2D, y: Tensor): Tensor {
  return tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), y), "int32"));
}

/**
 * Sparse categorical cross-entropy of a chunk of logits, and each row's first maximum, with the
 * float32 arithmetic of `lossOf` on TensorFlow.js' cpu kernels (logSoftmax; the mean as each
 * value divided by n in float32, summed in double), so both paths report the same loss to the
 * bit. Returns the mean times the rows, as `evaluate` sums it.
 */
function scoreLogits(logits: Float32Array, labels: Uint8Array, first: number, classes: number) {
  const f = Math.fround;
  const n = logits.length / classes;
  const predicted = new Int32Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    const row = logits.subarray(r * classes, (r + 1) * classes);
    let arg = 0;
    for (let c = 1; c < classes; c++) if ((row[c] as number) > (row[arg] as number)) arg = c;
    const top = row[arg] as number;
    let exps = 0;
    for (let c = 0; c < classes; c++) exps += f(Math.exp(f((row[c] as number) - top)));
    const logSum = f(Math.log(f(exps)));
    const label = labels[first + r] as number;
    sum += f(f(f((row[label] as number) - top) - logSum) / n);
    predicted[r] = arg;
  }
  return { loss: -f(sum) * n, predicted };
}

/**
 * Loss and accuracy over a slice, and the confusion matrix of its classes (`classes` of them);
 * through the back end's own forward pass when it has a whole step.
 */
async function evaluate(
  net: Network,
  slice: Slice,
  shape: [number, number, number],
  classes: number,
  whole: WholeStep | null,
): Promise<TestEvaluation> {
  const t0 = performance.now();
  let loss = 0;
  let correct = 0;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const step = 500;
  for (let i = 0; i < slice.count; i += step) {
    const to = Math.min(slice.count, i + step);
    const n = to - i;
    let predicted: ArrayLike<number>;
    if (whole) {
      const logits = await whole.infer(slice.images, slice.start + i, n);
      const scored = scoreLogits(logits, slice.labels, slice.start + i, classes);
      loss += scored.loss;
      predicted = scored.predicted;
    } else {
      predicted = tf.tidy(() => {
        const b = slice.batch(null, i, to, shape);
        const out = net.forward(b.x, false);
        loss += (lossOf(net, out, b.y).dataSync()[0] as number) * b.n;
        return tf.argMax(out, 1).dataSync();
      });
    }
    for (let k = 0; k < n; k++) {
      const truth = slice.labels[slice.start + i + k] as number;
      const p = predicted[k] as number;
      if (p === truth) correct++;
      const row = confusion[truth];
      if (row) row[p] = (row[p] ?? 0) + 1;
    }
  }
  return {
    loss: loss / slice.count,
    accuracy: correct / slice.count,
    seconds: (performance.now() - t0) / 1000,
    confusion,
  };
}

/** Loss and accuracy only, as Keras' History has them for validation data. */
async function evaluateOnly(
  net: Network,
  slice: Slice,
  shape: [number, number, number],
  classes: number,
  whole: WholeStep | null,
): Promise<Evaluation> {
  const { confusion: _, ...e } = await evaluate(net, slice, shape, classes, whole);
  return e;
}

/** The run's training, validation and test slices of the data, or why it cannot have them. */
function slicesOf(req: FitRequest, data: Dataset) {
  const t = req.training;
  const pixels = data.height * data.width * data.channels;
  const { nTrainAll, splitAt } = trainSplit(req.data, t, data.trainCount);
  // `cnnp run` refuses such data before training; a worker's payload is checked here too.
  if (req.data.train > data.trainCount || req.data.test > data.testCount)
    throw new Error(
      `the run asks for ${req.data.train} training and ${req.data.test} test images; the data hold ${data.trainCount} and ${data.testCount}`,
    );
  if (splitAt < 1 || Math.min(req.data.test, data.testCount) < 1)
    throw new Error(
      `the run has no ${splitAt < 1 ? "training" : "test"} images (${nTrainAll} training images, validation split ${t.validationSplit})`,
    );
  return {
    train: new Slice(data.trainImages, data.trainLabels, 0, splitAt, pixels),
    val:
      t.validationSplit > 0
        ? new Slice(data.trainImages, data.trainLabels, splitAt, nTrainAll - splitAt, pixels)
        : null,
    test: new Slice(data.testImages, data.testLabels, 0, Math.min(req.data.test, data.testCount), pixels),
    shape: [data.height, data.width, data.channels] as [number, number, number],
  };
}

type Slices = ReturnType<typeof slicesOf>;

/** What training a run keeps between epochs. */
interface Training {
  req: FitRequest;
  data: Dataset;
  slices: Slices;
  net: Network;
  whole: WholeStep | null;
  optimizer: ReturnType<typeof makeOptimizer>;
  augment: Augmenter | null;
  order: Int32Array;
  shuffle: Rng;
  dropoutState: Uint32Array;
  stepSeconds: number;
}

const lossError = (loss: number, e: number, b: number) =>
  new Error(`the loss became ${loss} at epoch ${e + 1}, batch ${b}: lower the learning rate`);

/** One epoch's steps over the shuffled order: the summed loss and the hits. */
async function trainEpoch(run: Training, e: number, hooks: FitHooks) {
  const { req, slices, order } = run;
  const t = req.training;
  if (t.shuffle) run.shuffle.shuffle(order);
  const batches = batchesPerEpoch(slices.train.count, t);
  const progress = (batch: number) => hooks.onBatch?.({ epoch: e + 1, epochs: req.epochs, batch, batches });
  if (run.whole?.epoch) {
    // A back end that keeps the epoch on its device: one call, one read-back.
    const s0 = performance.now();
    const r = await run.whole.epoch({
      images: run.data.trainImages,
      labels: run.data.trainLabels,
      order,
      count: slices.train.count,
      batchSize: t.batchSize,
      onBatch: progress,
      ...(run.augment ? { draws: run.augment.draws(slices.train.count) } : {}),
    });
    run.stepSeconds += (performance.now() - s0) / 1000;
    if (r.nonFinite !== null) throw lossError(Number.NaN, e, r.nonFinite);
    return { lossSum: r.lossSum, correct: r.correct };
  }
  let lossSum = 0;
  let correct = 0;
  for (let b = 0; b < batches; b++) {
    const from = b * t.batchSize;
    const to = Math.min(slices.train.count, from + t.batchSize);
    const s0 = performance.now();
    const r = run.whole
      ? wholeBatch(run.whole, run.net, run.data, order.subarray(from, to), run.dropoutState, run.augment)
      : tfjsBatch(run.net, run.optimizer, slices.train.batch(order, from, to, slices.shape, run.augment));
    if (!Number.isFinite(r.loss)) throw lossError(r.loss, e, b + 1);
    run.stepSeconds += (performance.now() - s0) / 1000;
    lossSum += r.loss * (to - from);
    correct += r.correct;
    progress(b + 1);
  }
  return { lossSum, correct };
}

/** Every epoch, with evaluations, early stopping and snapshots of the weights where asked. */
async function trainEpochs(run: Training, hooks: FitHooks) {
  const { req, slices, net, whole } = run;
  const { shape } = slices;
  const classes = req.model.classes;
  const evalAt = new Set(req.evaluateAt);
  const saveAt = req.saveAt ? new Set(req.saveAt) : null;
  const stopper = req.training.earlyStopping ? new EarlyStopping(req.training.earlyStopping) : null;
  const records: EpochRecord[] = [...(req.resume?.records ?? [])];
  const snapshots = new Map<number, Float32Array[]>();
  let stoppedEpoch: number | null = null;
  for (let e = req.resume?.epoch ?? 0; e < req.epochs; e++) {
    const t0 = performance.now();
    const { lossSum, correct } = await trainEpoch(run, e, hooks);
    const record: EpochRecord = {
      epoch: e + 1,
      loss: lossSum / slices.train.count,
      accuracy: correct / slices.train.count,
      val: slices.val ? await evaluateOnly(net, slices.val, shape, classes, whole) : null,
      test: null,
      seconds: (performance.now() - t0) / 1000,
    };
    const stop = stopper?.atEpochEnd(record) ?? false;
    if (stop) stoppedEpoch = e + 1;
    const end = stop || e + 1 === req.epochs;
    if (evalAt.has(e + 1) || end) record.test = await evaluate(net, slices.test, shape, classes, whole);
    if (saveAt && (saveAt.has(e + 1) || end)) {
      await whole?.sync?.();
      snapshots.set(
        e + 1,
        net.weights.map((v) => (v.dataSync() as Float32Array).slice()),
      );
    }
    records.push(record);
    hooks.onEpoch?.(record);
    if (stop) break;
  }
  return { records, stoppedEpoch, snapshots };
}

/**
 * Trains one run like Keras' `fit` and evaluates on the test set at the requested epochs. The
 * back end must be selected first. Everything random comes from `req.seed`.
 */
export async function fitRun(req: FitRequest, data: Dataset, hooks: FitHooks = {}): Promise<TrainOutcome> {
  const slices = slicesOf(req, data);
  const resume = resumable(req);
  const net = buildNetwork(req.model, req.seed);
  let whole: WholeStep | null;
  try {
    const why = resume
      ? checkpointMismatch(
          resume,
          net.weights.map((v) => v.size),
          slices.train.count,
        )
      : null;
    if (why) throw new Error(`the run's checkpoint does not fit it: ${why}`);
    // Its weights first: a whole step may copy them when it is made.
    if (resume) restoreWeights(net, resume);
    // The back end's own whole step when it has one for this model, else TensorFlow.js kernel by kernel.
    whole = activeBackend()?.wholeStep?.(req.model, req.training, net.weights, req.seed) ?? null;
  } catch (e) {
    net.dispose();
    throw e;
  }
  const first = req.model.layers[0];
  const run: Training = {
    req,
    data,
    slices,
    net,
    whole,
    optimizer: makeOptimizer(req.training),
    augment: first?.type === "augment" ? new Augmenter(first, slices.shape, req.seed) : null,
    order: resume ? resume.order.slice() : new Int32Array(slices.train.count).map((_, i) => i),
    shuffle: new Rng(req.seed, streams.shuffle),
    dropoutState: new Uint32Array(4),
    stepSeconds: resume?.stepSeconds ?? 0,
  };
  try {
    if (resume) await restoreState(resume, whole, run.optimizer, net, run);
    hooks.onStart?.(net);
    const { records, stoppedEpoch, snapshots } = await trainEpochs(run, hooks);
    const keep = req.keep && !req.training.earlyStopping && continuable(whole);
    return {
      epochs: records,
      stoppedEpoch,
      weights: snapshots,
      trainSamples: slices.train.count,
      valSamples: slices.val?.count ?? 0,
      testSamples: slices.test.count,
      steps: {
        engine: whole ? whole.engine : "tfjs",
        seconds: run.stepSeconds,
        phases: whole?.profile() ?? null,
        slices: whole?.slices ?? 1,
      },
      ...(keep ? { checkpoint: await checkpointAfter(run, records) } : {}),
    };
  } finally {
    whole?.dispose();
    run.optimizer.dispose();
    net.dispose();
  }
}

/** The request's checkpoint, when training can continue from it: fewer epochs, no early stopping. */
function resumable(req: FitRequest): Checkpoint | null {
  const c = req.resume;
  if (!c) return null;
  if (req.training.earlyStopping) throw new Error("internal: a run with early stopping cannot continue");
  if (c.epoch >= req.epochs)
    throw new Error(`internal: the checkpoint is at epoch ${c.epoch} of ${req.epochs}`);
  return c;
}

/** The run's checkpoint after its last epoch. */
function checkpointAfter(run: Training, records: EpochRecord[]): Promise<Checkpoint> {
  const epoch = records.length;
  const steps = epoch * batchesPerEpoch(run.slices.train.count, run.req.training);
  const at = { epoch, steps, stepSeconds: run.stepSeconds, order: run.order, records };
  return checkpointOf(at, run.net, run.whole, run.optimizer, {
    shuffle: run.shuffle,
    net: run.net,
    augment: run.augment,
  });
}

/**
 * One whole step in the back end, continuing the network's dropout stream; with augment, on the
 * batch's augmented images (and their labels), items 0..n-1.
 */
function wholeBatch(
  whole: WholeStep,
  net: Network,
  data: Dataset,
  items: Int32Array,
  rng: Uint32Array,
  augment: Augmenter | null,
) {
  if (!whole.step) throw new Error(`${whole.engine} trains whole epochs, not single steps`);
  net.dropout.saveState(rng);
  const r = augment
    ? whole.step(
        augment.batch(data.trainImages, items),
        Uint8Array.from(items, (i) => data.trainLabels[i] as number),
        Int32Array.from(items, (_, k) => k),
        rng,
      )
    : whole.step(data.trainImages, data.trainLabels, items, rng);
  net.dropout.loadState(rng);
  return r;
}

/** One step kernel by kernel through TensorFlow.js: its gradients and optimizer. */
function tfjsBatch(
  net: Network,
  optimizer: ReturnType<typeof makeOptimizer>,
  batch: ReturnType<Slice["batch"]>,
) {
  let correctT: Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = net.forward(batch.x, true);
    correctT = tf.keep(correctOf(out, batch.y));
    return lossOf(net, out, batch.y) as Scalar;
  }, net.variables);
  optimizer.applyGradients(grads as Record<string, Variable>);
  net.afterStep();
  const loss = value.dataSync()[0] as number;
  const correct = correctT?.dataSync()[0] as number;
  tf.dispose([value, correctT as Tensor, batch.x, batch.y]);
  tf.dispose(Object.values(grads));
  return { loss, correct };
}
