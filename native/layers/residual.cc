// A residual block in the whole step (src/layers/residual.ts): a fork where the block starts and a
// join where it ends, with the block's layers between them in the net's sequence. The fork passes
// its input on unchanged and remembers it; the join adds it (through a 1x1 convolution with the
// matching stride, the projection shortcut, when the shapes differ) to the layers' output. Going
// back, the join hands its gradient to the layers unchanged and keeps the shortcut's share, which
// the fork adds to the gradient the layers give it: the addition's fan-out.
#include <algorithm>
#include <stdexcept>

#include "layer.h"

namespace cnnp {

namespace {

class Join;

class Fork : public Layer {
 public:
  using Layer::Layer;
  void link(std::vector<Layer*>& open) override { open.push_back(this); }
  void prepare(int slices) override { inputs_.assign(slices, nullptr); }
  const float* forward(const float* x, std::vector<float>&, const Pass& p) override {
    inputs_[p.part] = x;
    return x;
  }
  void backward(Grad& d, const float*, const float*, const Pass& p, std::vector<std::vector<float>>&) override;
  /** The block's input in this slice's forward pass. */
  const float* input(int part) const { return inputs_[part]; }
  Join* join = nullptr;

 private:
  std::vector<const float*> inputs_;
};

class Join : public Layer {
 public:
  explicit Join(const Settings& s)
      : Layer(s),
        project_(s.flag("project")),
        g_{0, s.integer("h"), s.integer("w"), s.integer("c"), 1, 1, s.integer("co"), s.integer("stride"),
           s.integer("stride"), 0, 0, 0, 0, s.integer("oh"), s.integer("ow")} {}

  void link(std::vector<Layer*>& open) override {
    // Only forks wait in `open`.
    if (open.empty()) throw std::invalid_argument("a residual's join has no fork");
    fork_ = static_cast<Fork*>(open.back());
    open.pop_back();
    fork_->join = this;
  }
  void prepare(int slices) override { skips_.resize(slices); }
  std::vector<int64_t> trained() const override {
    if (!project_) return {};
    return {g_.ci * g_.co, g_.co};
  }

  const float* forward(const float* x, std::vector<float>& act, const Pass& p) override {
    const int64_t size = p.n * out;
    if (act.size() < static_cast<size_t>(size)) act.resize(size);
    const float* from = fork_->input(p.part);
    if (project_) {
      Geometry g = g_;
      g.n = p.n;
      // The bias added on its own, as the kernel-by-kernel path adds it, for the same bits.
      conv2d(g, from, p.w[weights], nullptr, act.data(), false);
      p.clock.mark(ConvForwardPhase);
      const float* bias = p.w[weights + 1];
      const int64_t co = g_.co;
      for (int64_t i = 0; i < size; i++) act[i] = x[i] + (act[i] + bias[i % co]);
    } else {
      for (int64_t i = 0; i < size; i++) act[i] = x[i] + from[i];
    }
    p.clock.mark(ElementwisePhase);
    return act.data();
  }

  void backward(Grad& d, const float*, const float*, const Pass& p,
                std::vector<std::vector<float>>& grads) override {
    // The layers get the gradient as it is (d.g stays); the shortcut's share is kept for the fork.
    const bool below = fork_->inputGrad;
    std::vector<float>& skip = skips_[p.part];
    if (below && skip.size() < static_cast<size_t>(p.n * fork_->in)) skip.resize(p.n * fork_->in);
    if (!project_) {
      if (below) std::copy(d.g, d.g + p.n * out, skip.data());
      p.clock.mark(ElementwisePhase);
      return;
    }
    Geometry g = g_;
    g.n = p.n;
    sumRows(d.g, grads[weights + 1].data(), p.n * out, g.co);
    p.clock.mark(ElementwisePhase);
    conv2dBackwardFilter(g, fork_->input(p.part), d.g, grads[weights].data(), nullptr);
    p.clock.mark(ConvFilterPhase);
    if (!below) return;
    conv2dBackwardData(g, d.g, p.w[weights], skip.data());
    p.clock.mark(ConvDataPhase);
  }

  /** The shortcut's gradient of the block's input in this slice. */
  const float* skip(int part) const { return skips_[part].data(); }

 private:
  bool project_;
  Geometry g_;
  Fork* fork_ = nullptr;
  std::vector<std::vector<float>> skips_;
};

void Fork::backward(Grad& d, const float*, const float*, const Pass& p, std::vector<std::vector<float>>&) {
  if (!inputGrad) return;
  const float* skip = join->skip(p.part);
  const int64_t size = p.n * in;
  for (int64_t i = 0; i < size; i++) d.g[i] = d.g[i] + skip[i];
  p.clock.mark(ElementwisePhase);
}

const Registration fork("fork", [](const Settings& s) -> std::unique_ptr<Layer> { return std::make_unique<Fork>(s); });
const Registration join("join", [](const Settings& s) -> std::unique_ptr<Layer> { return std::make_unique<Join>(s); });

}  // namespace

}  // namespace cnnp
