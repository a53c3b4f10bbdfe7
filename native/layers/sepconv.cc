// SeparableConv2D: a depthwise convolution (each input channel by its own `multiplier` kernels,
// plain loops) into [n, oh, ow, c * multiplier], then a pointwise 1x1 convolution (oneDNN's sgemm)
// to `co` maps, bias and relu (or none). Channel c's kernel m writes depthwise channel c * multiplier + m.
#include <algorithm>
#include <stdexcept>

#include "layer.h"

namespace cnnp {

namespace {

class SepConv : public Layer {
 public:
  explicit SepConv(const Settings& s)
      : Layer(s),
        h_(s.integer("h")), w_(s.integer("w")), c_(s.integer("c")), kh_(s.integer("kh")), kw_(s.integer("kw")),
        sh_(s.integer("sh")), sw_(s.integer("sw")), pt_(s.integer("pt")), pl_(s.integer("pl")),
        oh_(s.integer("oh")), ow_(s.integer("ow")), m_(s.integer("multiplier")), co_(s.integer("co")),
        relu_(s.flag("relu")) {
    if (in != h_ * w_ * c_ || out != oh_ * ow_ * co_) throw std::invalid_argument("sepconv geometry");
  }

  std::vector<int64_t> trained() const override { return {kh_ * kw_ * c_ * m_, c_ * m_ * co_, co_}; }

  void prepare(int slices) override {
    mid_.assign(std::max(1, slices), {});
    dmid_.assign(std::max(1, slices), {});
  }

  const float* forward(const float* x, std::vector<float>& act, const Pass& p) override {
    const int64_t cells = p.n * oh_ * ow_, mid = c_ * m_;
    std::vector<float>& d = mid_[p.part];
    if (d.size() < static_cast<size_t>(cells * mid)) d.resize(cells * mid);
    if (act.size() < static_cast<size_t>(p.n * out)) act.resize(p.n * out);
    depthwise(x, p.w[weights], d.data(), p.n);
    if (!sgemm(false, false, cells, co_, mid, d.data(), p.w[weights + 1], act.data()))
      throw std::runtime_error("oneDNN sgemm failed");
    biasAdd(act.data(), p.w[weights + 2], act.data(), p.n * out, co_, relu_);
    p.clock.mark(ConvForwardPhase);
    return act.data();
  }

  void backward(Grad& g, const float* x, const float* y, const Pass& p,
                std::vector<std::vector<float>>& grads) override {
    const int64_t cells = p.n * oh_ * ow_, mid = c_ * m_;
    if (relu_) reluGrad(g.g, y, g.g, p.n * out);
    sumRows(g.g, grads[weights + 2].data(), p.n * out, co_);
    p.clock.mark(ElementwisePhase);
    const float* d = mid_[p.part].data();
    std::vector<float>& dd = dmid_[p.part];
    if (dd.size() < static_cast<size_t>(cells * mid)) dd.resize(cells * mid);
    if (!sgemm(true, false, mid, co_, cells, d, g.g, grads[weights + 1].data()) ||
        !sgemm(false, true, cells, mid, co_, g.g, p.w[weights + 1], dd.data()))
      throw std::runtime_error("oneDNN sgemm failed");
    depthwiseFilterGrad(x, dd.data(), grads[weights].data(), p.n);
    p.clock.mark(ConvFilterPhase);
    if (!inputGrad) return;
    depthwiseDataGrad(dd.data(), p.w[weights], g.other, p.n);
    g.swap();
    p.clock.mark(ConvDataPhase);
  }

 private:
  /** The input cell a kernel tap reads for output (i, j), or -1 outside the image. */
  int64_t cell(int64_t i, int64_t j, int64_t di, int64_t dj) const {
    const int64_t yy = i * sh_ - pt_ + di, xx = j * sw_ - pl_ + dj;
    return yy < 0 || yy >= h_ || xx < 0 || xx >= w_ ? -1 : yy * w_ + xx;
  }

  void depthwise(const float* x, const float* k, float* y, int64_t n) const {
    const int64_t mid = c_ * m_;
#pragma omp parallel for
    for (int64_t b = 0; b < n; b++)
      for (int64_t i = 0; i < oh_; i++)
        for (int64_t j = 0; j < ow_; j++) {
          float* o = y + ((b * oh_ + i) * ow_ + j) * mid;
          std::fill(o, o + mid, 0.f);
          for (int64_t di = 0; di < kh_; di++)
            for (int64_t dj = 0; dj < kw_; dj++) {
              const int64_t q = cell(i, j, di, dj);
              if (q < 0) continue;
              const float* in = x + (b * h_ * w_ + q) * c_;
              const float* tap = k + (di * kw_ + dj) * mid;
              for (int64_t c = 0; c < c_; c++)
                for (int64_t m = 0; m < m_; m++) o[c * m_ + m] += in[c] * tap[c * m_ + m];
            }
        }
  }

  void depthwiseFilterGrad(const float* x, const float* dy, float* dk, int64_t n) const {
    const int64_t mid = c_ * m_;
    std::fill(dk, dk + kh_ * kw_ * mid, 0.f);
#pragma omp parallel for
    for (int64_t t = 0; t < kh_ * kw_; t++) {
      const int64_t di = t / kw_, dj = t % kw_;
      float* tap = dk + t * mid;
      for (int64_t b = 0; b < n; b++)
        for (int64_t i = 0; i < oh_; i++)
          for (int64_t j = 0; j < ow_; j++) {
            const int64_t q = cell(i, j, di, dj);
            if (q < 0) continue;
            const float* in = x + (b * h_ * w_ + q) * c_;
            const float* g = dy + ((b * oh_ + i) * ow_ + j) * mid;
            for (int64_t c = 0; c < c_; c++)
              for (int64_t m = 0; m < m_; m++) tap[c * m_ + m] += in[c] * g[c * m_ + m];
          }
    }
  }

  void depthwiseDataGrad(const float* dy, const float* k, float* dx, int64_t n) const {
    const int64_t mid = c_ * m_;
#pragma omp parallel for
    for (int64_t b = 0; b < n; b++) {
      float* img = dx + b * h_ * w_ * c_;
      std::fill(img, img + h_ * w_ * c_, 0.f);
      for (int64_t i = 0; i < oh_; i++)
        for (int64_t j = 0; j < ow_; j++) {
          const float* g = dy + ((b * oh_ + i) * ow_ + j) * mid;
          for (int64_t di = 0; di < kh_; di++)
            for (int64_t dj = 0; dj < kw_; dj++) {
              const int64_t q = cell(i, j, di, dj);
              if (q < 0) continue;
              float* d = img + q * c_;
              const float* tap = k + (di * kw_ + dj) * mid;
              for (int64_t c = 0; c < c_; c++)
                for (int64_t m = 0; m < m_; m++) d[c] += g[c * m_ + m] * tap[c * m_ + m];
            }
        }
    }
  }

  int64_t h_, w_, c_, kh_, kw_, sh_, sw_, pt_, pl_, oh_, ow_, m_, co_;
  bool relu_;
  /** Per slice: the depthwise output, and its gradient. */
  std::vector<std::vector<float>> mid_, dmid_;
};

const Registration registered("sepconv", [](const Settings& s) -> std::unique_ptr<Layer> {
  return std::make_unique<SepConv>(s);
});

}  // namespace

}  // namespace cnnp
