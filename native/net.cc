#include "net.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <stdexcept>

namespace cnnp {

namespace {

void ensure(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

Net::Net(std::vector<std::unique_ptr<Layer>> layers, int64_t input, int64_t classes, int64_t batch, int slices)
    : layers_(std::move(layers)), input_(input), classes_(classes), batch_(batch), slices_(std::max(1, slices)) {
  // Trained arrays in layer order, then the untrained ones (moving statistics) in layer order.
  for (auto& l : layers_) {
    auto t = l->trained();
    if (!t.empty()) l->weights = static_cast<int>(sizes_.size());
    sizes_.insert(sizes_.end(), t.begin(), t.end());
    if (l->wholeBatch()) slices_ = 1;
  }
  int stats = static_cast<int>(sizes_.size());
  for (auto& l : layers_) {
    auto u = l->untrained();
    if (!u.empty()) l->stats = stats;
    stats += static_cast<int>(u.size());
    untrained_.insert(untrained_.end(), u.begin(), u.end());
  }
  std::vector<Layer*> open;
  for (auto& l : layers_) l->link(open);
  if (!open.empty()) throw std::invalid_argument("a residual's fork has no join");
  for (int64_t s : sizes_) velocity_.emplace_back(s, 0.f);
  deferredOf_.assign(sizes_.size(), -1);
  for (size_t i = 0; i < layers_.size(); i++) {
    layers_[i]->prepare(slices_);
    const int j = layers_[i]->deferred();
    if (j >= 0) deferredOf_[j] = static_cast<int>(i);
  }
  parts_.resize(slices_);
  for (auto& part : parts_) {
    part.acts.resize(layers_.size());
    part.outs.resize(layers_.size());
    // Each slice writes its own gradients; several are summed as the update reads them.
    for (size_t j = 0; j < sizes_.size(); j++) part.grads.emplace_back(deferredOf_[j] < 0 ? sizes_[j] : 0);
  }
  blocks_.resize(slices_);
  sliceGrads_.resize(sizes_.size());
  for (size_t j = 0; j < sizes_.size(); j++)
    for (auto& part : parts_) sliceGrads_[j].push_back(part.grads[j].data());
}

bool Net::fits(const std::vector<size_t>& lengths) const {
  if (lengths.size() != sizes_.size() + untrained_.size()) return false;
  for (size_t j = 0; j < lengths.size(); j++) {
    const int64_t want = j < sizes_.size() ? sizes_[j] : untrained_[j - sizes_.size()];
    if (lengths[j] != static_cast<size_t>(want)) return false;
  }
  return true;
}

const float* Net::forward(Part& part, int p, int64_t first, int64_t n, const std::vector<float*>& w, bool training) {
  const float* in = x_.data() + first * input_;
  Clock clock(training ? part.seconds : nullptr);
  const Pass pass{n, first, p, training, w, clock};
  for (size_t i = 0; i < layers_.size(); i++) {
    in = layers_[i]->forward(in, part.acts[i], pass);
    part.outs[i] = in;
  }
  return in;
}

void Net::loss(Part& part, const float* logits, int64_t first, int64_t n, int64_t batch, const uint8_t* labels,
               const int32_t* items, float* g) {
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
}

void Net::lossAndBackward(Part& part, int p, int64_t first, int64_t n, int64_t batch, const uint8_t* labels,
                          const int32_t* items, const std::vector<float*>& w) {
  const float* logits = forward(part, p, first, n, w, true);
  Clock clock(part.seconds);
  int64_t biggest = n * input_;
  for (auto& l : layers_) biggest = std::max({biggest, n * l->in, n * l->out});
  ensure(part.g0, biggest);
  ensure(part.g1, biggest);
  Grad g{part.g0.data(), part.g1.data()};
  loss(part, logits, first, n, batch, labels, items, g.g);
  clock.mark(LossPhase);
  const Pass pass{n, first, p, true, w, clock};
  // Down to the first layer with weights: below it no gradient is needed.
  for (size_t i = layers_.size(); i-- > 0;) {
    Layer& l = *layers_[i];
    const float* in = i == 0 ? x_.data() + first * input_ : part.outs[i - 1];
    l.backward(g, in, part.outs[i], pass, part.grads);
    if (l.weights >= 0 && !l.inputGrad) break;
  }
}

void Net::update(int parts, int me, int got, const std::vector<float*>& w, float c, float momentum) {
  Clock mine(me < parts ? parts_[me].seconds : nullptr);
  for (size_t j = 0; j < sizes_.size(); j++) {
    float* v = momentum > 0 ? velocity_[j].data() : nullptr;
    const int layer = deferredOf_[j];
    if (layer >= 0) {
      // This thread's rows of the kernel: their gradient, then their step.
      const int64_t rows = layers_[layer]->deferredRows();
      mine.mark(UpdatePhase);
      layers_[layer]->deferredUpdate(parts, rows * me / got, rows * (me + 1) / got, w[j], v, c, momentum,
                                     blocks_[me]);
      mine.mark(DensePhase);
      continue;
    }
    const int64_t size = sizes_[j], from = size * me / got, to = size * (me + 1) / got;
    sumAndUpdate(sliceGrads_[j].data(), parts, from, v ? v + from : nullptr, w[j] + from, c, momentum,
                 static_cast<size_t>(to - from));
  }
  mine.mark(UpdatePhase);
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
  for (auto& l : layers_) l->beforeStep(n, rng);
  clock.mark(InputPhase);

  // The batch in `parts` contiguous slices, one thread each; a batch too small for them all runs in
  // fewer. Each thread asks for one thread below it: oneDNN sizes a primitive's work for
  // omp_get_max_threads() when it makes it, and a kernel made for two threads that then gets one
  // (nested parallelism is off) waits at its barrier for ever.
  const int parts = static_cast<int>(std::min<int64_t>(slices_, n));
  const float c = -learningRate;
  if (parts <= 1) {
    lossAndBackward(parts_[0], 0, 0, n, n, labels, items, w);
    clock = Clock(seconds_);
    // One slice (or a batch too small for more): its gradients are the batch's.
    for (size_t j = 0; j < sizes_.size(); j++) {
      float* v = momentum > 0 ? velocity_[j].data() : nullptr;
      const int layer = deferredOf_[j];
      if (layer >= 0)
        layers_[layer]->deferredUpdate(1, 0, layers_[layer]->deferredRows(), w[j], v, c, momentum, blocks_[0]);
      else if (v)
        momentumUpdate(parts_[0].grads[j].data(), v, w[j], c, momentum, static_cast<size_t>(sizes_[j]));
      else
        sgdUpdate(parts_[0].grads[j].data(), w[j], c, static_cast<size_t>(sizes_[j]));
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
          lossAndBackward(parts_[p], p, from, to - from, n, labels, items, w);
        } catch (...) {
#pragma omp critical
          failure = std::current_exception();
        }
      }
#pragma omp barrier
      // The update, each thread on its share of every array: the slices' gradients summed in
      // slice order as the step reads them, chunk by chunk.
      if (!failure) {
        try {
          update(parts, me, got, w, c, momentum);
        } catch (...) {
#pragma omp critical
          failure = std::current_exception();
        }
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
  const float* logits = forward(parts_[0], 0, 0, n, w, false);
  std::copy(logits, logits + n * classes_, out);
}

}  // namespace cnnp
