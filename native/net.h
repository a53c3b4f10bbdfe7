// A whole training step of a sequential network in one call: the batch read from the images,
// forward, softmax cross-entropy, backward and the SGD (or momentum) update of the weights, in
// place. Buffers are kept between steps, so a step allocates nothing. The layers are those of
// native/layers/, made by name from the registry.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "layers/layer.h"
#include "ops.h"

namespace cnnp {

struct StepResult {
  double loss;
  int64_t correct;
};

class Net {
 public:
  /**
   * slices: how many parts of a batch a step trains at once, one thread each (the parts'
   * gradients summed, in part order, as the update reads them); 1 runs the batch whole, each
   * kernel on all threads. A network with a layer that needs the whole batch (batch statistics)
   * runs whole.
   */
  Net(std::vector<std::unique_ptr<Layer>> layers, int64_t input, int64_t classes, int64_t batch, int slices = 1);
  Net(const Net&) = delete;
  Net& operator=(const Net&) = delete;
  /**
   * One step on images[item * input ...] of the `n` items (as uint8 pixels, divided by 255),
   * labels[item]. weights: each layer's trained arrays in layer order, then each layer's
   * untrained ones (moving statistics); velocity (momentum > 0) for the trained ones.
   * rng: the dropout stream's sfc32 state, advanced in place.
   */
  StepResult step(const uint8_t* images, const uint8_t* labels, const int32_t* items, int64_t n,
                  const std::vector<float*>& weights, float learningRate, float momentum, uint32_t* rng);
  /** The logits of n images (evaluation: no dropout), into out [n, classes]. */
  void infer(const uint8_t* images, int64_t first, int64_t n, const std::vector<float*>& weights, float* out);
  /** Whether arrays of these lengths are the weights a step takes (trained, then untrained). */
  bool fits(const std::vector<size_t>& lengths) const;
  const double* profile() const { return seconds_; }
  /** Momentum's velocity of each trained array (zeros until a step with momentum), in their order. */
  std::vector<std::vector<float>>& velocity() { return velocity_; }
  int64_t input() const { return input_; }
  int64_t classes() const { return classes_; }
  int slices() const { return slices_; }

 private:
  /** What one slice of a batch needs of its own: activations, gradients. */
  struct Part {
    std::vector<std::vector<float>> acts;
    std::vector<const float*> outs;  // each layer's output (flatten and rate-0 dropout alias)
    std::vector<float> g0, g1, shifted;
    std::vector<std::vector<float>> grads;
    double seconds[Phases] = {};
    double loss = 0;
    int64_t correct = 0;
  };
  const float* forward(Part& part, int p, int64_t first, int64_t n, const std::vector<float*>& w, bool training);
  /** Softmax cross-entropy of the logits, mean over the batch; its gradient into g. */
  void loss(Part& part, const float* logits, int64_t first, int64_t n, int64_t batch, const uint8_t* labels,
            const int32_t* items, float* g);
  void lossAndBackward(Part& part, int p, int64_t first, int64_t n, int64_t batch, const uint8_t* labels,
                       const int32_t* items, const std::vector<float*>& w);
  /** The update of every trained array by `me` of `got` threads, from `parts` slices' gradients. */
  void update(int parts, int me, int got, const std::vector<float*>& w, float c, float momentum);
  std::vector<std::unique_ptr<Layer>> layers_;
  int64_t input_, classes_, batch_;
  int slices_;
  /** Sizes of the trained arrays, then of the untrained ones. */
  std::vector<int64_t> sizes_, untrained_;
  std::vector<float> x_;
  std::vector<Part> parts_;
  std::vector<std::vector<float>> velocity_;
  /** Per trained array, each slice's gradient of it (parts_[p].grads[j]), for the update's sum. */
  std::vector<std::vector<const float*>> sliceGrads_;
  /** Per trained array: the layer that computes its gradient in the update (see Layer::deferred), or -1. */
  std::vector<int> deferredOf_;
  /** Each thread's block for a deferred update. */
  std::vector<std::vector<float>> blocks_;
  double seconds_[Phases] = {};
};

}  // namespace cnnp
