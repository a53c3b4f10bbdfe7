// One kind of layer of the whole training step, each in its own file under native/layers/ and
// registered by the name the bridge gives it (src/layers/<kind>.ts's `native`): its settings come
// by name, not by position. The step (net.cc) dispatches on the registry.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../ops.h"

namespace cnnp {

/** Where a network's steps spent their time, in seconds, by phase (netProfile's order). */
enum Phase { InputPhase, ConvForwardPhase, ConvFilterPhase, ConvDataPhase, PoolPhase, PoolGradPhase, DensePhase, LossPhase,
  ElementwisePhase, UpdatePhase, Phases };

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

/** A layer's settings by name, as the bridge passes them; a missing one throws. */
class Settings {
 public:
  virtual ~Settings() = default;
  virtual double number(const char* name) const = 0;
  virtual bool flag(const char* name) const = 0;
  int64_t integer(const char* name) const { return static_cast<int64_t>(number(name)); }
};

/** One slice of a batch going through a layer. */
struct Pass {
  int64_t n;      // images in the slice
  int64_t first;  // its first image in the batch
  int part;       // which slice (0 when the batch runs whole)
  bool training;
  const std::vector<float*>& w;  // the step's arrays: trained ones, then the untrained
  Clock& clock;
};

/** The gradient on its way down: `g` holds it; a layer writes its input's into `other` and swaps. */
struct Grad {
  float* g;
  float* other;
  void swap() { std::swap(g, other); }
};

class Layer {
 public:
  explicit Layer(const Settings& s)
      : in(s.integer("in")), out(s.integer("out")), inputGrad(s.flag("inputGrad")) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  int64_t in, out;  // values per image
  /** The gradient reaching its input is needed (a layer with weights comes before). */
  bool inputGrad;
  int weights = -1;  // index of its first trained array
  int stats = -1;    // index of its first untrained array (moving statistics)

  /** Sizes of its trained arrays, in Keras' order (kernel, bias; gamma, beta). */
  virtual std::vector<int64_t> trained() const { return {}; }
  /** Sizes of its untrained arrays (moving statistics), updated by its forward pass. */
  virtual std::vector<int64_t> untrained() const { return {}; }
  /** It needs the whole batch at once (batch statistics): the step then runs in one slice. */
  virtual bool wholeBatch() const { return false; }
  /**
   * Pairs layers that belong together, called in layer order once the net is made: `open` holds
   * the layers still waiting for their partner (a residual's fork, until its join).
   */
  virtual void link(std::vector<Layer*>& open) { (void)open; }
  /** Set up for a net training in `slices` slices (per-slice buffers). */
  virtual void prepare(int slices) { (void)slices; }
  /** Before a step's slices, over the whole batch of n images (dropout draws its masks). */
  virtual void beforeStep(int64_t n, uint32_t* rng) { (void)n, (void)rng; }
  /**
   * Forward on x [n, in]: returns its output [n, out], written into `act` or, for a layer that
   * changes nothing (flatten, dropout at inference), x itself.
   */
  virtual const float* forward(const float* x, std::vector<float>& act, const Pass& p) = 0;
  /**
   * Backward from g.g = dL/dy: its trained arrays' gradients into grads[weights...], and dL/dx
   * into g (through other and swap) when inputGrad. x: its input, y: its output.
   */
  virtual void backward(Grad& g, const float* x, const float* y, const Pass& p,
                        std::vector<std::vector<float>>& grads) = 0;

  /**
   * A trained array whose gradient this layer computes in the update itself, block by block from
   * what each slice kept (a large dense kernel in slices), or -1.
   */
  virtual int deferred() const { return -1; }
  /** That update for rows [from, to) of the array: the slices' gradient summed, then the step. */
  virtual void deferredUpdate(int parts, int64_t from, int64_t to, float* w, float* v, float c, float momentum,
                              std::vector<float>& block) {
    (void)parts, (void)from, (void)to, (void)w, (void)v, (void)c, (void)momentum, (void)block;
  }
  /** Rows of the deferred array (the update shares them among threads). */
  virtual int64_t deferredRows() const { return 0; }
};

using Factory = std::unique_ptr<Layer> (*)(const Settings&);

/** Registers a kind of layer by name (a static Registration in the layer's file does it). */
struct Registration {
  Registration(const char* kind, Factory make);
};

/** A layer of a registered kind; throws std::invalid_argument for an unknown one. */
std::unique_ptr<Layer> makeLayer(const std::string& kind, const Settings& s);

}  // namespace cnnp
