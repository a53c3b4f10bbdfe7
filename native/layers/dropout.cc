// Keras' inverted dropout: each unit zeroed with probability `rate`, the rest scaled by
// 1 / (1 - rate); masks drawn for the whole batch before its slices, as network.ts draws them.
#include <algorithm>
#include <cmath>

#include "layer.h"

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

class Dropout : public Layer {
 public:
  explicit Dropout(const Settings& s) : Layer(s), rate_(s.number("rate")) {}

  void beforeStep(int64_t n, uint32_t* rng) override {
    if (rate_ <= 0) return;
    const size_t size = n * out;
    if (mask_.size() < size) mask_.resize(size);
    const float keep = static_cast<float>(1.0 / (1.0 - rate_));
    // The generator's state in locals for the loop (through the pointer, every draw would
    // store and reload it), and u < rate as an integer comparison: u / 2^32 < rate exactly
    // when u < ceil(rate * 2^32), both sides being exact in double.
    uint32_t s[4] = {rng[0], rng[1], rng[2], rng[3]};
    const uint64_t below = static_cast<uint64_t>(std::ceil(rate_ * 4294967296.0));
    for (size_t k = 0; k < size; k++) mask_[k] = static_cast<uint64_t>(sfc32(s)) < below ? 0.f : keep;
    std::copy(s, s + 4, rng);
  }

  const float* forward(const float* x, std::vector<float>& act, const Pass& p) override {
    if (!p.training || rate_ <= 0) return x;
    const size_t size = p.n * out;
    if (act.size() < size) act.resize(size);
    const float* mask = mask_.data() + p.first * out;
    for (size_t k = 0; k < size; k++) act[k] = x[k] * mask[k];
    p.clock.mark(ElementwisePhase);
    return act.data();
  }

  void backward(Grad& d, const float*, const float*, const Pass& p, std::vector<std::vector<float>>&) override {
    if (rate_ <= 0) return;
    const float* mask = mask_.data() + p.first * out;
    for (int64_t k = 0; k < p.n * out; k++) d.g[k] *= mask[k];
    p.clock.mark(ElementwisePhase);
  }

 private:
  double rate_;
  std::vector<float> mask_;
};

const Registration registered("dropout", [](const Settings& s) -> std::unique_ptr<Layer> {
  return std::make_unique<Dropout>(s);
});

}  // namespace

}  // namespace cnnp
