// A whole training step of a sequential network in one call: the batch read from the images,
// forward, softmax cross-entropy, backward and the SGD (or momentum) update of the weights, in
// place. Buffers are kept between steps, so a step allocates nothing.
#pragma once
#include <cstdint>
#include <vector>

#include "ops.h"

namespace cnnp {

enum class Kind { Conv = 0, Pool = 1, Flatten = 2, Dense = 3, Dropout = 4, BatchNorm = 5, AvgPool = 6, GlobalPool = 7 };

struct Layer {
  Kind kind;
  Geometry conv{};  // n is set per step
  Pool pool{};
  int64_t in = 0, out = 0;  // values per image
  bool relu = false;
  /** A relu whose gradient the max pool after it applies (conv relu, then pool). */
  bool reluInPool = false;
  /** The gradient reaching this layer's input is needed (a layer with weights comes before). */
  bool inputGrad = false;
  double rate = 0;
  int weights = -1;  // index of its kernel (batchnorm: gamma); the bias (beta) follows
  // Batchnorm: channels (the last axis), epsilon, momentum, and the index of its moving mean
  // (its moving variance follows) among the weights, after all the trained ones.
  int64_t channels = 0;
  double epsilon = 0, momentum = 0;
  int stats = -1;
  // Global pooling: positions per image.
  int64_t cells = 0;
};

/** Where a network's steps spent their time, in seconds, by phase (netProfile's order). */
enum Phase { InputPhase, ConvForwardPhase, ConvFilterPhase, ConvDataPhase, PoolPhase, PoolGradPhase, DensePhase, LossPhase,
  ElementwisePhase, UpdatePhase, Phases };

struct StepResult {
  double loss;
  int64_t correct;
};

class Net {
 public:
  /**
   * slices: how many parts of a batch a step trains at once, one thread each (the parts'
   * gradients summed, in part order, as the update reads them); 1 runs the batch whole, each
   * kernel on all threads. A network with batch normalisation runs whole: its statistics are the
   * whole batch's.
   */
  Net(std::vector<Layer> layers, int64_t input, int64_t classes, int64_t batch, int slices = 1);
  // sliceGrads_ points into parts_: a copy would point into the original's.
  Net(const Net&) = delete;
  Net& operator=(const Net&) = delete;
  /**
   * One step on images[item * input ...] of the `n` items (as uint8 pixels, divided by 255),
   * labels[item]. weights: kernel, bias (gamma, beta) per layer with weights, then each
   * batchnorm's moving mean and variance; velocity (momentum > 0) for the trained ones.
   * rng: the dropout stream's sfc32 state, advanced in place.
   */
  StepResult step(const uint8_t* images, const uint8_t* labels, const int32_t* items, int64_t n,
                  const std::vector<float*>& weights, float learningRate, float momentum, uint32_t* rng);
  /** The logits of n images (evaluation: no dropout), into out [n, classes]. */
  void infer(const uint8_t* images, int64_t first, int64_t n, const std::vector<float*>& weights, float* out);
  /** The trained weights' sizes. */
  const std::vector<int64_t>& weightSizes() const { return sizes_; }
  /** How many arrays a step takes: the trained weights, then the moving statistics. */
  size_t weightCount() const { return sizes_.size() + 2 * norms_; }
  /** Whether arrays of these lengths are the weights a step takes (in weightCount's order). */
  bool fits(const std::vector<size_t>& lengths) const;
  const double* profile() const { return seconds_; }
  int64_t input() const { return input_; }
  int64_t classes() const { return classes_; }
  int slices() const { return slices_; }

 private:
  /** What one slice of a batch needs of its own: geometry, activations, gradients. */
  struct Part {
    std::vector<Layer> layers;  // the net's, with the slice's image count set per step
    std::vector<std::vector<float>> acts;
    std::vector<const float*> outs;  // each layer's output (flatten and rate-0 dropout alias)
    std::vector<float> g0, g1, shifted;
    std::vector<std::vector<float>> grads;
    // A large dense layer's kernel gradient, left to the update in slices: its input and output
    // gradient per layer (the input is the layer before's output, kept until the next step).
    std::vector<const float*> denseIn;
    std::vector<std::vector<float>> denseDy;
    std::vector<int64_t> denseRows;
    double seconds[Phases] = {};
    double loss = 0;
    int64_t correct = 0;
  };
  const float* forward(Part& part, int64_t first, int64_t n, const std::vector<float*>& w, bool training);
  void drawMasks(int64_t n, uint32_t* rng);
  /** The SGD (momentum) update of weights j's elements [from, to) from gradient g. */
  void update(size_t j, int64_t from, int64_t to, const float* g, float* w, float c, float momentum);
  void lossAndBackward(Part& part, int64_t first, int64_t n, int64_t batch, const uint8_t* labels,
                       const int32_t* items, const std::vector<float*>& w);
  std::vector<Layer> layers_;
  int64_t input_, classes_, batch_;
  int slices_;
  std::vector<int64_t> sizes_;
  std::vector<float> x_;
  std::vector<std::vector<float>> masks_;  // dropout masks and batchnorm's xhat, whole batch
  std::vector<std::vector<float>> invStd_;
  size_t norms_ = 0;
  std::vector<Part> parts_;
  std::vector<std::vector<float>> velocity_;
  /** Per trained array, each slice's gradient of it (parts_[p].grads[j]), for the update's sum. */
  std::vector<std::vector<const float*>> sliceGrads_;
  /**
   * Per layer: a dense layer whose kernel gradient the sliced update computes itself, block by
   * block from the slices' inputs and output gradients, then steps while the block is in cache
   * (its slices' gradients are never written whole). Only in slices, for large kernels.
   */
  std::vector<bool> deferred_;
  /** Per trained array: the deferred dense layer whose kernel it is, or -1. */
  std::vector<int> deferredOf_;
  void denseUpdate(size_t layer, int parts, int64_t from, int64_t to, float* w, float c, float momentum,
                   std::vector<float>& block);
  /** Each thread's block for denseUpdate. */
  std::vector<std::vector<float>> blocks_;
  double seconds_[Phases] = {};
};

}  // namespace cnnp
