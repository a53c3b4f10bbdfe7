// MaxPooling2D. After a conv with relu, its gradient applies the relu's too (the conv skips its own).
#include <algorithm>

#include "pool.h"

namespace cnnp {

namespace {

class MaxPool : public Layer {
 public:
  explicit MaxPool(const Settings& s) : Layer(s), p_(poolOf(s)), reluBefore_(s.flag("reluBefore")) {}

  const float* forward(const float* x, std::vector<float>& act, const Pass& p) override {
    if (act.size() < static_cast<size_t>(p.n * out)) act.resize(p.n * out);
    Pool q = p_;
    q.n = p.n;
    maxPool(q, x, act.data());
    p.clock.mark(PoolPhase);
    return act.data();
  }

  void backward(Grad& d, const float* x, const float*, const Pass& p, std::vector<std::vector<float>>&) override {
    Pool q = p_;
    q.n = p.n;
    if (!q.tiles()) std::fill(d.other, d.other + p.n * in, 0.f);
    maxPoolGrad(q, d.g, x, d.other, reluBefore_);
    d.swap();
    p.clock.mark(PoolGradPhase);
  }

 private:
  Pool p_;
  bool reluBefore_;
};

const Registration registered("maxpool", [](const Settings& s) -> std::unique_ptr<Layer> {
  return std::make_unique<MaxPool>(s);
});

}  // namespace

}  // namespace cnnp
