#include "net.h"

#include "layers.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace cnnp {

namespace {

/** sfc32, as src/train/rng.ts has it: state a, b, c, d. */
uint32_t sfc32(uint32_t* s) {
  uint32_t t = s[0] + s[1] + s[3];
  s[3] = s[3] + 1;
  s[0] = s[1] ^ (s[1] >> 9);
  s[1] = s[2] + (s[2] << 3);
  s[2] = (s[2] << 21) | (s[2] >> 11);
  s[2] = s[2] + t;
  return t;
}

/** Adds the time from its creation to the next mark (or its end) to a phase. */
class Clock {
 public:
  explicit Clock(double* seconds) : seconds_(seconds), last_(std::chrono::steady_clock::now()) {}
  void mark(Phase p) {
    if (!seconds_) return;
    auto now = std::chrono::steady_clock::now();
    seconds_[p] += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  double* seconds_;
  std::chrono::steady_clock::time_point last_;
};

void ensure(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

Net::Net(std::vector<Layer> layers, int64_t input, int64_t classes, int64_t batch, int slices)
    : layers_(std::move(layers)), input_(input), classes_(classes), batch_(batch), slices_(std::max(1, slices)) {
  for (auto& l : layers_) {
    if (l.kind == Kind::Conv) {
      sizes_.push_back(l.conv.kh * l.conv.kw * l.conv.ci * l.conv.co);
      sizes_.push_back(l.conv.co);
    } else if (l.kind == Kind::Dense) {
      sizes_.push_back(l.in * l.out);
      sizes_.push_back(l.out);
    } else if (l.kind == Kind::BatchNorm) {
      sizes_.push_back(l.channels);
      sizes_.push_back(l.channels);
      norms_++;
    }
  }
  if (norms_ > 0) slices_ = 1;
  invStd_.resize(layers_.size());
  for (int64_t s : sizes_) velocity_.emplace_back(s, 0.f);
  masks_.resize(layers_.size());
  // In slices, a dense kernel of a million bytes or more has its gradient computed by the update,
  // block by block: the slices' gradients of it would be written whole and read back.
  deferred_.assign(layers_.size(), false);
  deferredOf_.assign(sizes_.size(), -1);
  for (size_t i = 0; i < layers_.size(); i++) {
    const Layer& l = layers_[i];
    if (slices_ > 1 && l.kind == Kind::Dense && l.in * l.out >= (1 << 18)) {
      deferred_[i] = true;
      deferredOf_[l.weights] = static_cast<int>(i);
    }
  }
  parts_.resize(slices_);
  for (auto& part : parts_) {
    part.layers = layers_;
    part.acts.resize(layers_.size());
    part.outs.resize(layers_.size());
    part.denseIn.assign(layers_.size(), nullptr);
    part.denseDy.resize(layers_.size());
    part.denseRows.assign(layers_.size(), 0);
    // Each slice writes its own gradients; several are summed as the update reads them.
    for (size_t j = 0; j < sizes_.size(); j++) part.grads.emplace_back(deferredOf_[j] < 0 ? sizes_[j] : 0);
  }
  blocks_.resize(slices_);
  sliceGrads_.resize(sizes_.size());
  for (size_t j = 0; j < sizes_.size(); j++)
    for (auto& part : parts_) sliceGrads_[j].push_back(part.grads[j].data());
}

bool Net::fits(const std::vector<size_t>& lengths) const {
  std::vector<int64_t> want(sizes_);
  for (auto& l : layers_)
    if (l.kind == Kind::BatchNorm) {
      want.push_back(l.channels);
      want.push_back(l.channels);
    }
  if (lengths.size() != want.size()) return false;
  for (size_t j = 0; j < want.size(); j++)
    if (lengths[j] != static_cast<size_t>(want[j])) return false;
  return true;
}

void Net::update(size_t j, int64_t from, int64_t to, const float* g, float* w, float c, float momentum) {
  // TensorFlow.js' SGD: w + (-lr) g; with momentum: v = v m + g, w + (-lr) v.
  const size_t size = static_cast<size_t>(to - from);
  if (momentum > 0)
    momentumUpdate(g + from, velocity_[j].data() + from, w + from, c, momentum, size);
  else
    sgdUpdate(g + from, w + from, c, size);
}

void Net::denseUpdate(size_t layer, int parts, int64_t from, int64_t to, float* w, float c, float momentum,
                      std::vector<float>& block) {
  const Layer& l = layers_[layer];
  // Rows of the kernel [in, out] per block: 256 KB, so that the block is still in the core's
  // cache when its step reads it.
  const int64_t out = l.out, rows = std::max<int64_t>(1, 65536 / out);
  ensure(block, static_cast<size_t>(rows * out));
  float* v = momentum > 0 ? velocity_[l.weights].data() : nullptr;
  for (int64_t r = from; r < to; r += rows) {
    const int64_t m = std::min(rows, to - r);
    // The slices' sum in slice order, as sumAndUpdate has it: the first written, the others added.
    for (int p = 0; p < parts; p++) {
      const Part& part = parts_[p];
      if (!sgemm(true, false, m, out, part.denseRows[layer], part.denseIn[layer] + r, l.in, part.denseDy[layer].data(),
                 out, p > 0 ? 1.f : 0.f, block.data(), out))
        throw std::runtime_error("oneDNN sgemm failed");
    }
    stepFrom(block.data(), v ? v + r * out : nullptr, w + r * out, c, momentum, static_cast<size_t>(m * out));
  }
}

void Net::drawMasks(int64_t n, uint32_t* rng) {
  for (size_t i = 0; i < layers_.size(); i++) {
    const Layer& l = layers_[i];
    if (l.kind != Kind::Dropout || l.rate <= 0) continue;
    const size_t size = n * l.out;
    ensure(masks_[i], size);
    float* mask = masks_[i].data();
    // Keras' inverted dropout with the mask drawn as network.ts draws it, layer by layer over the
    // whole batch: zero with probability `rate`, else scale by 1 / (1 - rate).
    const float keep = static_cast<float>(1.0 / (1.0 - l.rate));
    // The generator's state in locals for the loop (through the pointer, every draw would
    // store and reload it), and u < rate as an integer comparison: u / 2^32 < rate exactly
    // when u < ceil(rate * 2^32), both sides being exact in double.
    uint32_t s[4] = {rng[0], rng[1], rng[2], rng[3]};
    const double bound = std::ceil(l.rate * 4294967296.0);
    const uint64_t below = static_cast<uint64_t>(bound);
    for (size_t k = 0; k < size; k++) mask[k] = static_cast<uint64_t>(sfc32(s)) < below ? 0.f : keep;
    std::copy(s, s + 4, rng);
  }
}

const float* Net::forward(Part& part, int64_t first, int64_t n, const std::vector<float*>& w, bool training) {
  const float* in = x_.data() + first * input_;
  Clock clock(training ? part.seconds : nullptr);
  for (size_t i = 0; i < layers_.size(); i++) {
    Layer& l = part.layers[i];
    auto& act = part.acts[i];
    switch (l.kind) {
      case Kind::Conv: {
        ensure(act, n * l.out);
        l.conv.n = n;
        conv2d(l.conv, in, w[l.weights], w[l.weights + 1], act.data(), l.relu);
        in = act.data();
        clock.mark(ConvForwardPhase);
        break;
      }
      case Kind::Pool: {
        ensure(act, n * l.out);
        l.pool.n = n;
        maxPool(l.pool, in, act.data());
        in = act.data();
        clock.mark(PoolPhase);
        break;
      }
      case Kind::Flatten:
        break;
      case Kind::BatchNorm: {
        // Only ever one slice: first is 0 and n the whole batch.
        ensure(act, n * l.out);
        const int64_t rows = n * l.out / l.channels;
        const float eps = static_cast<float>(l.epsilon);
        if (training) {
          ensure(masks_[i], n * l.out);
          ensure(invStd_[i], l.channels);
          batchNormTrain(in, rows, l.channels, w[l.weights], w[l.weights + 1], eps, static_cast<float>(l.momentum),
                         w[l.stats], w[l.stats + 1], masks_[i].data(), invStd_[i].data(), act.data());
        } else {
          batchNormInfer(in, rows, l.channels, w[l.weights], w[l.weights + 1], eps, w[l.stats], w[l.stats + 1],
                         act.data());
        }
        in = act.data();
        clock.mark(ElementwisePhase);
        break;
      }
      case Kind::AvgPool: {
        ensure(act, n * l.out);
        l.pool.n = n;
        avgPool(l.pool, in, act.data());
        in = act.data();
        clock.mark(PoolPhase);
        break;
      }
      case Kind::GlobalPool: {
        ensure(act, n * l.out);
        globalPool(in, n, l.cells, l.out, act.data());
        in = act.data();
        clock.mark(PoolPhase);
        break;
      }
      case Kind::Dense: {
        ensure(act, n * l.out);
        if (!sgemm(false, false, n, l.out, l.in, in, w[l.weights], act.data()))
          throw std::runtime_error("oneDNN sgemm failed");
        biasAdd(act.data(), w[l.weights + 1], act.data(), n * l.out, l.out, l.relu);
        in = act.data();
        clock.mark(DensePhase);
        break;
      }
      case Kind::Dropout: {
        if (!training || l.rate <= 0) break;
        const size_t size = n * l.out;
        ensure(act, size);
        const float* mask = masks_[i].data() + first * l.out;
        for (size_t k = 0; k < size; k++) act[k] = in[k] * mask[k];
        in = act.data();
        clock.mark(ElementwisePhase);
        break;
      }
    }
    part.outs[i] = in;
  }
  return in;
}

void Net::lossAndBackward(Part& part, int64_t first, int64_t n, int64_t batch, const uint8_t* labels,
                          const int32_t* items, const std::vector<float*>& w) {
  const float* logits = forward(part, first, n, w, true);
  Clock clock(part.seconds);
  // Softmax cross-entropy, mean over the whole batch; its gradient (softmax - one-hot) / batch.
  int64_t biggest = n * input_;
  for (auto& l : layers_) biggest = std::max({biggest, n * l.in, n * l.out});
  ensure(part.g0, biggest);
  ensure(part.g1, biggest);
  float* g = part.g0.data();
  float* other = part.g1.data();
  double loss = 0;
  int64_t correct = 0;
  // The arithmetic of TensorFlow.js' logSoftmax and its gradient, operation by operation in
  // float32 (exp and log of the float in double, sums in double), so that a step gives the
  // weights the kernel-by-kernel path gives, to the bit (in one slice).
  const float scale = static_cast<float>(-1.0 / static_cast<double>(batch));
  std::vector<float>& shifted = part.shifted;
  ensure(shifted, classes_);
  for (int64_t i = 0; i < n; i++) {
    const float* row = logits + i * classes_;
    const int64_t label = labels[items[first + i]];
    int64_t arg = 0;
    for (int64_t c = 1; c < classes_; c++)
      if (row[c] > row[arg]) arg = c;
    if (arg == label) correct++;
    const float top = row[arg];
    double sum = 0;
    for (int64_t c = 0; c < classes_; c++) {
      shifted[c] = row[c] - top;
      sum += static_cast<float>(std::exp(static_cast<double>(shifted[c])));
    }
    const float logSum = static_cast<float>(std::log(static_cast<double>(static_cast<float>(sum))));
    for (int64_t c = 0; c < classes_; c++) {
      const float value = shifted[c] - logSum;
      if (c == label) loss += value / static_cast<float>(batch);
      const float p = static_cast<float>(std::exp(static_cast<double>(value)));
      g[i * classes_ + c] = (c == label ? scale : -0.f) - scale * p;
    }
  }
  part.loss = loss;
  part.correct = correct;
  clock.mark(LossPhase);

  auto& grads = part.grads;
  // Down to the first layer with weights: below it no gradient is needed.
  size_t last = SIZE_MAX;
  for (size_t i = layers_.size(); i-- > 0;) {
    Layer& l = part.layers[i];
    if (l.weights >= 0 && !l.inputGrad) last = i;
    const float* in = i == 0 ? x_.data() + first * input_ : part.outs[i - 1];
    switch (l.kind) {
      case Kind::Conv: {
        if (l.relu && !l.reluInPool) reluGrad(g, part.acts[i].data(), g, n * l.out);
        sumRows(g, grads[l.weights + 1].data(), n * l.out, l.conv.co);
        clock.mark(ElementwisePhase);
        conv2dBackwardFilter(l.conv, in, g, grads[l.weights].data(), nullptr);
        clock.mark(ConvFilterPhase);
        if (l.inputGrad) {
          conv2dBackwardData(l.conv, g, w[l.weights], other);
          std::swap(g, other);
          clock.mark(ConvDataPhase);
        }
        break;
      }
      case Kind::Pool: {
        if (!l.pool.tiles()) std::fill(other, other + n * l.in, 0.f);
        const bool relu = i > 0 && layers_[i - 1].reluInPool;
        maxPoolGrad(l.pool, g, in, other, relu);
        std::swap(g, other);
        clock.mark(PoolGradPhase);
        break;
      }
      case Kind::Flatten:
        break;
      case Kind::BatchNorm: {
        batchNormBackward(g, masks_[i].data(), invStd_[i].data(), w[l.weights], n * l.out / l.channels, l.channels,
                          grads[l.weights].data(), grads[l.weights + 1].data(), l.inputGrad ? other : nullptr);
        if (l.inputGrad) std::swap(g, other);
        clock.mark(ElementwisePhase);
        break;
      }
      case Kind::AvgPool: {
        if (i == 0 || !l.inputGrad) break;
        l.pool.n = n;
        avgPoolGrad(l.pool, g, other);
        std::swap(g, other);
        clock.mark(PoolGradPhase);
        break;
      }
      case Kind::GlobalPool: {
        if (!l.inputGrad) break;
        globalPoolGrad(g, n, l.cells, l.out, other);
        std::swap(g, other);
        clock.mark(PoolGradPhase);
        break;
      }
      case Kind::Dense: {
        if (l.relu) reluGrad(g, part.acts[i].data(), g, n * l.out);
        if (deferred_[i]) {
          // The update computes the kernel gradient from these (see denseUpdate).
          ensure(part.denseDy[i], n * l.out);
          std::copy(g, g + n * l.out, part.denseDy[i].data());
          part.denseIn[i] = in;
          part.denseRows[i] = n;
        } else if (!sgemm(true, false, l.in, l.out, n, in, g, grads[l.weights].data())) {
          throw std::runtime_error("oneDNN sgemm failed");
        }
        sumRows(g, grads[l.weights + 1].data(), n * l.out, l.out);
        if (l.inputGrad) {
          if (!sgemm(false, true, n, l.in, l.out, g, w[l.weights], other))
            throw std::runtime_error("oneDNN sgemm failed");
          std::swap(g, other);
        }
        clock.mark(DensePhase);
        break;
      }
      case Kind::Dropout: {
        if (l.rate <= 0) break;
        const float* mask = masks_[i].data() + first * l.out;
        for (int64_t k = 0; k < n * l.out; k++) g[k] *= mask[k];
        clock.mark(ElementwisePhase);
        break;
      }
    }
    if (i == last) break;
  }
}

StepResult Net::step(const uint8_t* images, const uint8_t* labels, const int32_t* items, int64_t n,
                     const std::vector<float*>& w, float learningRate, float momentum, uint32_t* rng) {
  Clock clock(seconds_);
  ensure(x_, n * input_);
  for (int64_t i = 0; i < n; i++) {
    const uint8_t* src = images + static_cast<int64_t>(items[i]) * input_;
    float* dst = x_.data() + i * input_;
    for (int64_t k = 0; k < input_; k++) dst[k] = static_cast<float>(src[k] / 255.0);
  }
  drawMasks(n, rng);
  clock.mark(InputPhase);

  // The batch in `parts` contiguous slices, one thread each; a batch too small for them all runs in
  // fewer. Each thread asks for one thread below it: oneDNN sizes a primitive's work for
  // omp_get_max_threads() when it makes it, and a kernel made for two threads that then gets one
  // (nested parallelism is off) waits at its barrier for ever.
  const int parts = static_cast<int>(std::min<int64_t>(slices_, n));
  const float c = -learningRate;
  if (parts <= 1) {
    lossAndBackward(parts_[0], 0, n, n, labels, items, w);
    clock = Clock(seconds_);
    // One slice (or a batch too small for more): its gradients are the batch's.
    for (size_t j = 0; j < sizes_.size(); j++) {
      const int layer = deferredOf_[j];
      if (layer >= 0)
        denseUpdate(layer, 1, 0, layers_[layer].in, w[j], c, momentum, blocks_[0]);
      else
        update(j, 0, sizes_[j], parts_[0].grads[j].data(), w[j], c, momentum);
    }
  } else {
    std::exception_ptr failure;
#pragma omp parallel num_threads(parts)
    {
      omp_set_num_threads(1);
      const int got = omp_get_num_threads(), me = omp_get_thread_num();
      for (int p = me; p < parts; p += got) {
        const int64_t from = n * p / parts, to = n * (p + 1) / parts;
        try {
          lossAndBackward(parts_[p], from, to - from, n, labels, items, w);
        } catch (...) {
#pragma omp critical
          failure = std::current_exception();
        }
      }
#pragma omp barrier
      // The update, each thread on its share of every array: the slices' gradients summed in
      // slice order as the step reads them, chunk by chunk.
      if (!failure) {
        Clock mine(me < parts ? parts_[me].seconds : nullptr);
        try {
          for (size_t j = 0; j < sizes_.size(); j++) {
            const int layer = deferredOf_[j];
            if (layer >= 0) {
              // This thread's rows of the kernel: their gradient, then their step.
              const int64_t rows = layers_[layer].in;
              mine.mark(UpdatePhase);
              denseUpdate(layer, parts, rows * me / got, rows * (me + 1) / got, w[j], c, momentum, blocks_[me]);
              mine.mark(DensePhase);
              continue;
            }
            const int64_t size = sizes_[j], from = size * me / got, to = size * (me + 1) / got;
            float* v = momentum > 0 ? velocity_[j].data() + from : nullptr;
            sumAndUpdate(sliceGrads_[j].data(), parts, from, v, w[j] + from, c, momentum, static_cast<size_t>(to - from));
          }
        } catch (...) {
#pragma omp critical
          failure = std::current_exception();
        }
        mine.mark(UpdatePhase);
      }
    }
    if (failure) std::rethrow_exception(failure);
    clock = Clock(seconds_);
  }
  double loss = 0;
  int64_t correct = 0;
  for (int p = 0; p < std::max(parts, 1); p++) {
    loss += parts_[p].loss;
    correct += parts_[p].correct;
    // Each phase's time, as the mean over the slices that ran at once.
    for (int k = 0; k < Phases; k++) {
      seconds_[k] += parts_[p].seconds[k] / std::max(parts, 1);
      parts_[p].seconds[k] = 0;
    }
  }
  clock.mark(UpdatePhase);
  // The mean as tfjs' Mean has it: each value divided by n in float32, summed in double, the sum
  // rounded to float32; negated.
  return {-static_cast<double>(static_cast<float>(loss)), correct};
}

void Net::infer(const uint8_t* images, int64_t first, int64_t n, const std::vector<float*>& w, float* out) {
  ensure(x_, n * input_);
  const uint8_t* src = images + first * input_;
  for (int64_t k = 0; k < n * input_; k++) x_[k] = static_cast<float>(src[k] / 255.0);
  const float* logits = forward(parts_[0], 0, n, w, false);
  std::copy(logits, logits + n * classes_, out);
}

}  // namespace cnnp
