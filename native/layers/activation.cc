// An activation on its own (src/layers/activation-layer.ts), as after a residual's addition:
// relu, tanh or sigmoid, with TensorFlow.js' gradients (from the output).
#include <cmath>
#include <stdexcept>
#include <string>

#include "layer.h"

namespace cnnp {

namespace {

enum class Fn { Relu, Tanh, Sigmoid };

Fn fnOf(const Settings& s) {
  if (s.flag("relu")) return Fn::Relu;
  if (s.flag("tanh")) return Fn::Tanh;
  if (s.flag("sigmoid")) return Fn::Sigmoid;
  throw std::invalid_argument("an activation layer needs relu, tanh or sigmoid");
}

class Activation : public Layer {
 public:
  explicit Activation(const Settings& s) : Layer(s), fn_(fnOf(s)) {}

  const float* forward(const float* x, std::vector<float>& act, const Pass& p) override {
    const int64_t size = p.n * out;
    if (act.size() < static_cast<size_t>(size)) act.resize(size);
    float* y = act.data();
    switch (fn_) {
      case Fn::Relu:
        for (int64_t i = 0; i < size; i++) y[i] = x[i] > 0.f ? x[i] : 0.f;
        break;
      case Fn::Tanh:
        for (int64_t i = 0; i < size; i++) y[i] = static_cast<float>(std::tanh(static_cast<double>(x[i])));
        break;
      case Fn::Sigmoid:
        for (int64_t i = 0; i < size; i++) y[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x[i]))));
        break;
    }
    p.clock.mark(ElementwisePhase);
    return y;
  }

  void backward(Grad& d, const float*, const float* y, const Pass& p, std::vector<std::vector<float>>&) override {
    if (!inputGrad) return;
    const int64_t size = p.n * out;
    switch (fn_) {
      case Fn::Relu:
        reluGrad(d.g, y, d.g, size);
        break;
      case Fn::Tanh:
        for (int64_t i = 0; i < size; i++) d.g[i] = d.g[i] * (1.f - y[i] * y[i]);
        break;
      case Fn::Sigmoid:
        for (int64_t i = 0; i < size; i++) d.g[i] = d.g[i] * (y[i] * (1.f - y[i]));
        break;
    }
    p.clock.mark(ElementwisePhase);
  }

 private:
  Fn fn_;
};

const Registration registered("activation", [](const Settings& s) -> std::unique_ptr<Layer> {
  return std::make_unique<Activation>(s);
});

}  // namespace

}  // namespace cnnp
