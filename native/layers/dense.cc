// Dense: oneDNN's sgemm, bias and relu (or none). In slices, a kernel of a million bytes or more
// has its gradient computed by the update, block by block (256 KB) from the slices' inputs and
// output gradients, and stepped while the block is in cache: the slices' gradients of it are never
// written whole and read back.
#include <algorithm>
#include <stdexcept>

#include "layer.h"

namespace cnnp {

namespace {

class Dense : public Layer {
 public:
  explicit Dense(const Settings& s) : Layer(s), relu_(s.flag("relu")) {}

  std::vector<int64_t> trained() const override { return {in * out, out}; }

  void prepare(int slices) override {
    deferred_ = slices > 1 && in * out >= (1 << 18);
    slices_.assign(std::max(1, slices), {});
  }
  int deferred() const override { return deferred_ ? weights : -1; }
  int64_t deferredRows() const override { return in; }

  const float* forward(const float* x, std::vector<float>& act, const Pass& p) override {
    if (act.size() < static_cast<size_t>(p.n * out)) act.resize(p.n * out);
    if (!sgemm(false, false, p.n, out, in, x, p.w[weights], act.data())) throw std::runtime_error("oneDNN sgemm failed");
    biasAdd(act.data(), p.w[weights + 1], act.data(), p.n * out, out, relu_);
    p.clock.mark(DensePhase);
    return act.data();
  }

  void backward(Grad& d, const float* x, const float* y, const Pass& p,
                std::vector<std::vector<float>>& grads) override {
    const int64_t n = p.n;
    if (relu_) reluGrad(d.g, y, d.g, n * out);
    if (deferred_) {
      // The update computes the kernel gradient from these (deferredUpdate).
      Kept& k = slices_[p.part];
      if (k.dy.size() < static_cast<size_t>(n * out)) k.dy.resize(n * out);
      std::copy(d.g, d.g + n * out, k.dy.data());
      k.x = x;
      k.rows = n;
    } else if (!sgemm(true, false, in, out, n, x, d.g, grads[weights].data())) {
      throw std::runtime_error("oneDNN sgemm failed");
    }
    sumRows(d.g, grads[weights + 1].data(), n * out, out);
    if (inputGrad) {
      if (!sgemm(false, true, n, in, out, d.g, p.w[weights], d.other)) throw std::runtime_error("oneDNN sgemm failed");
      d.swap();
    }
    p.clock.mark(DensePhase);
  }

  void deferredUpdate(int parts, int64_t from, int64_t to, float* w, float* v, float c, float momentum,
                      std::vector<float>& block) override {
    // Rows of the kernel [in, out] per block: 256 KB, so that the block is still in the core's
    // cache when its step reads it.
    const int64_t rows = std::max<int64_t>(1, 65536 / out);
    if (block.size() < static_cast<size_t>(rows * out)) block.resize(rows * out);
    for (int64_t r = from; r < to; r += rows) {
      const int64_t m = std::min(rows, to - r);
      // The slices' sum in slice order, as sumAndUpdate has it: the first written, the others added.
      for (int q = 0; q < parts; q++) {
        const Kept& k = slices_[q];
        if (!sgemm(true, false, m, out, k.rows, k.x + r, in, k.dy.data(), out, q > 0 ? 1.f : 0.f, block.data(), out))
          throw std::runtime_error("oneDNN sgemm failed");
      }
      stepFrom(block.data(), v ? v + r * out : nullptr, w + r * out, c, momentum, static_cast<size_t>(m * out));
    }
  }

 private:
  /** What a slice keeps for the deferred kernel gradient: its input and output gradient. */
  struct Kept {
    const float* x = nullptr;
    std::vector<float> dy;
    int64_t rows = 0;
  };
  bool relu_;
  bool deferred_ = false;
  std::vector<Kept> slices_;
};

const Registration registered("dense", [](const Settings& s) -> std::unique_ptr<Layer> {
  return std::make_unique<Dense>(s);
});

}  // namespace

}  // namespace cnnp
