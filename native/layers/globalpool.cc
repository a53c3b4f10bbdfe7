// GlobalAveragePooling2D: the mean over each image's cells of each channel, x [n, cells, c] -> [n, c].
#include <stdexcept>

#include "layer.h"

namespace cnnp {

namespace {

class GlobalPool : public Layer {
 public:
  explicit GlobalPool(const Settings& s) : Layer(s), cells_(s.integer("cells")) {
    if (cells_ <= 0 || in != cells_ * out) throw std::invalid_argument("global pool geometry");
  }

  const float* forward(const float* x, std::vector<float>& act, const Pass& p) override {
    if (act.size() < static_cast<size_t>(p.n * out)) act.resize(p.n * out);
    float* y = act.data();
    const int64_t c = out;
    for (int64_t b = 0; b < p.n; b++) {
      std::vector<double> s(c, 0.0);
      for (int64_t q = 0; q < cells_; q++)
        for (int64_t k = 0; k < c; k++) s[k] += x[(b * cells_ + q) * c + k];
      for (int64_t k = 0; k < c; k++) y[b * c + k] = static_cast<float>(s[k] / static_cast<double>(cells_));
    }
    p.clock.mark(PoolPhase);
    return y;
  }

  void backward(Grad& d, const float*, const float*, const Pass& p, std::vector<std::vector<float>>&) override {
    if (!inputGrad) return;
    const float inv = 1.f / static_cast<float>(cells_);
    const int64_t c = out;
    for (int64_t b = 0; b < p.n; b++)
      for (int64_t q = 0; q < cells_; q++)
        for (int64_t k = 0; k < c; k++) d.other[(b * cells_ + q) * c + k] = d.g[b * c + k] * inv;
    d.swap();
    p.clock.mark(PoolGradPhase);
  }

 private:
  int64_t cells_;
};

const Registration registered("globalpool", [](const Settings& s) -> std::unique_ptr<Layer> {
  return std::make_unique<GlobalPool>(s);
});

}  // namespace

}  // namespace cnnp
