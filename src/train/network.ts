import type { Activation, LayerSpec, ModelSpec } from "../model/index.js";
import { reluMaxPool, trainingConv } from "./conv-layer.js";
import { Rng, streams } from "./rng.js";
import { type Tensor, type Tensor2D, type Tensor4D, tf, type Variable } from "./tf.js";

interface Weights {
  kernel: Variable;
  bias: Variable;
}

/** A planned model as TensorFlow.js variables and a forward pass, built the way Keras builds it. */
export interface Network {
  spec: ModelSpec;
  /** What the optimizer trains: kernels and biases, batchnorm's gamma and beta. */
  variables: Variable[];
  /**
   * Every weight, batchnorm's moving statistics included (what is saved), in TensorFlow.js'
   * order: the trainable ones in layer order, then the moving means and variances.
   */
  weights: Variable[];
  /** After an optimizer step: moves batchnorm's statistics towards the batch's (Keras' update). */
  afterStep(): void;
  /** Logits when the last layer is softmax (the loss applies it), else the last layer's output. */
  forward(x: Tensor4D, training: boolean): Tensor2D;
  /** Whether `forward` returns logits of a softmax output. */
  logits: boolean;
  /** The stream dropout masks are drawn from, one draw per unit of each dropout layer per step. */
  dropout: Rng;
  dispose(): void;
}

/** Glorot (Xavier) uniform, Keras' default kernel initialiser: U(-l, l), l = sqrt(6 / (in + out)). */
function glorotUniform(shape: number[], fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rng.next() * 2 - 1) * limit;
  return out;
}

/** Variables from initial values; tidy disposes the initial tensors, variables survive it. */
function makeWeights(kernel: Float32Array, shape: number[], units: number, layer: number): Weights {
  // Variable names are global in TensorFlow.js: each network gets its own prefix.
  const prefix = `net${networks}_l${layer}`;
  return tf.tidy(() => ({
    kernel: tf.variable(tf.tensor(kernel, shape), true, `${prefix}_kernel`),
    bias: tf.variable(tf.zeros([units]), true, `${prefix}_bias`),
  }));
}
let networks = 0;

function activate(x: Tensor, a: Activation): Tensor {
  switch (a) {
    case "linear":
      return x;
    case "relu":
      return tf.relu(x);
    case "relu6":
      return tf.relu6(x);
    case "elu":
      return tf.elu(x);
    case "selu":
      return tf.selu(x);
    case "sigmoid":
      return tf.sigmoid(x);
    case "tanh":
      return tf.tanh(x);
    case "softmax":
      return tf.softmax(x);
    case "softplus":
      return tf.softplus(x);
    case "softsign":
      return tf.div(x, tf.add(tf.abs(x), 1));
    case "swish":
      return tf.mul(x, tf.sigmoid(x));
  }
}

/** Activations the fused kernels apply (used for inference; training uses plain ops). */
const fusable = (a: Activation): a is "relu" | "linear" => a === "relu" || a === "linear";

/**
 * Builds a network: kernels Glorot-uniform, biases zero, all drawn from `seed`'s init stream, so
 * the same seed gives the same starting weights on every back end.
 */
export function buildNetwork(spec: ModelSpec, seed: number): Network {
  networks++;
  const rng = new Rng(seed, streams.init);
  const dropRng = new Rng(seed, streams.dropout);
  const weights: (Weights | null)[] = [];
  const norms = new Map<number, Norm>();
  let [h, w, c] = spec.input;
  let flat = 0;
  spec.layers.forEach((layer, i) => {
    if (layer.type === "batchnorm") {
      weights.push(null);
      norms.set(i, makeNorm(flat || c, i));
    } else if (layer.type === "conv2d") {
      const [kh, kw] = layer.kernel;
      const shape = [kh, kw, c, layer.filters];
      const kernel = glorotUniform(shape, kh * kw * c, kh * kw * layer.filters, rng);
      weights.push(makeWeights(kernel, shape, layer.filters, i));
      [h, w] = outSize(h, w, layer.kernel, layer.strides, layer.padding);
      c = layer.filters;
    } else if (layer.type === "dense") {
      const fanIn = flat || h * w * c;
      const kernel = glorotUniform([fanIn, layer.units], fanIn, layer.units, rng);
      weights.push(makeWeights(kernel, [fanIn, layer.units], layer.units, i));
      flat = layer.units;
    } else {
      weights.push(null);
      if (layer.type === "maxpool2d" || layer.type === "avgpool2d")
        [h, w] = outSize(h, w, layer.pool, layer.strides, layer.padding);
      if (layer.type === "flatten") flat = h * w * c;
      if (layer.type === "globalpool") flat = c;
    }
  });
  const last = spec.layers[spec.layers.length - 1];
  const logits = last?.type === "dense" && last.activation === "softmax";

  // Each batchnorm layer's batch mean and variance from the last training forward pass.
  let pending: { norm: Norm; mean: Tensor; variance: Tensor }[] = [];
  const forward = (x: Tensor4D, training: boolean): Tensor2D => {
    let t: Tensor = x;
    // Pool layers already applied together with the conv before them (reluMaxPool).
    const reluPooled = new Set<number>();
    spec.layers.forEach((layer: LayerSpec, i) => {
      const wts = weights[i];
      const isLast = i === spec.layers.length - 1;
      if (layer.type === "conv2d" && wts) {
        if (training && fusable(layer.activation)) {
          const first = t === x;
          const next = spec.layers[i + 1];
          const pooled =
            layer.activation === "relu" && next?.type === "maxpool2d" && tf.getBackend() === "native";
          t = trainingConv(
            t as Tensor4D,
            wts.kernel as unknown as Tensor4D,
            wts.bias,
            layer.strides,
            layer.padding,
            layer.activation,
            !first,
            pooled,
          );
          if (pooled && next?.type === "maxpool2d") {
            reluPooled.add(i + 1);
            t = reluMaxPool(t as Tensor4D, next.pool, next.strides, next.padding);
          }
        } else if (training) {
          const y = tf.conv2d(t as Tensor4D, wts.kernel as unknown as Tensor4D, layer.strides, layer.padding);
          t = activate(tf.add(y, wts.bias), layer.activation);
        } else {
          const conv = {
            x: t as Tensor4D,
            filter: wts.kernel as unknown as Tensor4D,
            strides: layer.strides,
            pad: layer.padding,
            bias: wts.bias,
          };
          if (fusable(layer.activation)) t = tf.fused.conv2d({ ...conv, activation: layer.activation });
          else t = activate(tf.fused.conv2d(conv), layer.activation);
        }
      } else if (layer.type === "dense" && wts) {
        if (t.rank !== 2) t = tf.reshape(t, [t.shape[0] as number, -1]);
        const act = isLast && logits ? "linear" : layer.activation;
        if (training) {
          t = activate(tf.add(tf.matMul(t as Tensor2D, wts.kernel as unknown as Tensor2D), wts.bias), act);
        } else {
          const mm = { a: t as Tensor2D, b: wts.kernel as unknown as Tensor2D, bias: wts.bias };
          if (fusable(act)) t = tf.fused.matMul({ ...mm, activation: act });
          else t = activate(tf.fused.matMul(mm), act);
        }
      } else if (layer.type === "maxpool2d") {
        if (!reluPooled.has(i)) t = tf.maxPool(t as Tensor4D, layer.pool, layer.strides, layer.padding);
      } else if (layer.type === "avgpool2d") {
        t = tf.avgPool(t as Tensor4D, layer.pool, layer.strides, layer.padding);
      } else if (layer.type === "globalpool") {
        t = tf.mean(t, [1, 2]);
      } else if (layer.type === "batchnorm") {
        const norm = norms.get(i) as Norm;
        const axes = t.shape.slice(0, -1).map((_, k) => k);
        if (training) {
          const { mean, variance } = tf.moments(t, axes);
          pending.push({ norm, mean: tf.keep(mean), variance: tf.keep(variance) });
          t = tf.batchNorm(t, mean, variance, norm.beta, norm.gamma, layer.epsilon);
        } else {
          t = tf.batchNorm(t, norm.movingMean, norm.movingVariance, norm.beta, norm.gamma, layer.epsilon);
        }
      } else if (layer.type === "flatten") {
        t = tf.reshape(t, [t.shape[0] as number, -1]);
      } else if (layer.type === "dropout" && training && layer.rate > 0) {
        t = dropout(t, layer.rate, dropRng);
      }
    });
    return t as Tensor2D;
  };

  const variables = weights.flatMap((w, i) => {
    const n = norms.get(i);
    return w ? [w.kernel, w.bias] : n ? [n.gamma, n.beta] : [];
  });
  // TensorFlow.js' order of a model's weights: the trainable ones, then the others.
  const all = [...variables, ...[...norms.values()].flatMap((n) => [n.movingMean, n.movingVariance])];
  const afterStep = () => {
    for (const { norm, mean, variance } of pending) {
      const m = norm.momentum;
      tf.tidy(() => {
        norm.movingMean.assign(tf.add(tf.mul(norm.movingMean, m), tf.mul(mean, 1 - m)));
        norm.movingVariance.assign(tf.add(tf.mul(norm.movingVariance, m), tf.mul(variance, 1 - m)));
      });
      tf.dispose([mean, variance]);
    }
    pending = [];
  };
  spec.layers.forEach((l, i) => {
    const n = norms.get(i);
    if (n && l.type === "batchnorm") n.momentum = l.momentum;
  });
  return {
    spec,
    variables,
    weights: all,
    afterStep,
    forward,
    logits,
    dropout: dropRng,
    dispose: () => {
      afterStep();
      for (const v of all) v.dispose();
    },
  };
}

/** A batchnorm layer's weights, as Keras initialises them: gamma 1, beta 0, mean 0, variance 1. */
interface Norm {
  gamma: Variable;
  beta: Variable;
  movingMean: Variable;
  movingVariance: Variable;
  momentum: number;
}

function makeNorm(channels: number, layer: number): Norm {
  const prefix = `net${networks}_l${layer}`;
  return tf.tidy(() => ({
    gamma: tf.variable(tf.ones([channels]), true, `${prefix}_gamma`),
    beta: tf.variable(tf.zeros([channels]), true, `${prefix}_beta`),
    movingMean: tf.variable(tf.zeros([channels]), false, `${prefix}_moving_mean`),
    movingVariance: tf.variable(tf.ones([channels]), false, `${prefix}_moving_variance`),
    momentum: 0.99,
  }));
}

/** Keras' inverted dropout: zero each unit with probability `rate`, scale the rest by 1/(1-rate). */
function dropout(x: Tensor, rate: number, rng: Rng): Tensor {
  const mask = new Float32Array(x.size);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < rate ? 0 : keep;
  return tf.mul(x, tf.tensor(mask, x.shape));
}

function outSize(
  h: number,
  w: number,
  k: [number, number],
  s: [number, number],
  padding: "valid" | "same",
): [number, number] {
  if (padding === "same") return [Math.ceil(h / s[0]), Math.ceil(w / s[1])];
  return [Math.floor((h - k[0]) / s[0]) + 1, Math.floor((w - k[1]) / s[1]) + 1];
}
