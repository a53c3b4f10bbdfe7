// Conv2D with bias and relu (or none): oneDNN's forward, filter and data gradients. A relu whose
// max pool comes next leaves its gradient to the pool's (maxpool.cc), which applies both at once.
#include "layer.h"

namespace cnnp {

namespace {

class Conv : public Layer {
 public:
  explicit Conv(const Settings& s)
      : Layer(s),
        g_{0,
           s.integer("h"),
           s.integer("w"),
           s.integer("c"),
           s.integer("kh"),
           s.integer("kw"),
           s.integer("co"),
           s.integer("sh"),
           s.integer("sw"),
           s.integer("pt"),
           s.integer("pl"),
           s.integer("pb"),
           s.integer("pr"),
           s.integer("oh"),
           s.integer("ow")},
        relu_(s.flag("relu")),
        reluInPool_(s.flag("reluInPool")) {}

  std::vector<int64_t> trained() const override { return {g_.kh * g_.kw * g_.ci * g_.co, g_.co}; }

  const float* forward(const float* x, std::vector<float>& act, const Pass& p) override {
    if (act.size() < static_cast<size_t>(p.n * out)) act.resize(p.n * out);
    Geometry g = g_;
    g.n = p.n;
    conv2d(g, x, p.w[weights], p.w[weights + 1], act.data(), relu_);
    p.clock.mark(ConvForwardPhase);
    return act.data();
  }

  void backward(Grad& d, const float* x, const float* y, const Pass& p,
                std::vector<std::vector<float>>& grads) override {
    Geometry g = g_;
    g.n = p.n;
    if (relu_ && !reluInPool_) reluGrad(d.g, y, d.g, p.n * out);
    sumRows(d.g, grads[weights + 1].data(), p.n * out, g.co);
    p.clock.mark(ElementwisePhase);
    conv2dBackwardFilter(g, x, d.g, grads[weights].data(), nullptr);
    p.clock.mark(ConvFilterPhase);
    if (!inputGrad) return;
    conv2dBackwardData(g, d.g, p.w[weights], d.other);
    d.swap();
    p.clock.mark(ConvDataPhase);
  }

 private:
  Geometry g_;
  bool relu_, reluInPool_;
};

const Registration registered("conv", [](const Settings& s) -> std::unique_ptr<Layer> { return std::make_unique<Conv>(s); });

}  // namespace

}  // namespace cnnp
