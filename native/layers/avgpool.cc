// AveragePooling2D: each window's mean over its cells inside the image (padding not counted, as
// in TensorFlow), and its gradient shared among them.
#include <algorithm>

#include "pool.h"

namespace cnnp {

namespace {

/** The window of output (i, j): its rows [y0, y1) and columns [x0, x1) inside the image. */
struct Window {
  int64_t y0, y1, x0, x1;
};

Window window(const Pool& p, int64_t i, int64_t j) {
  const int64_t ys = i * p.sh - p.pt, xs = j * p.sw - p.pl;
  return {std::max<int64_t>(ys, 0), std::min(ys + p.kh, p.h), std::max<int64_t>(xs, 0), std::min(xs + p.kw, p.w)};
}

void avgPool(const Pool& p, const float* x, float* y) {
#pragma omp parallel for
  for (int64_t b = 0; b < p.n; b++)
    for (int64_t i = 0; i < p.oh; i++)
      for (int64_t j = 0; j < p.ow; j++) {
        const Window w = window(p, i, j);
        float* out = y + ((b * p.oh + i) * p.ow + j) * p.c;
        std::fill(out, out + p.c, 0.f);
        for (int64_t yy = w.y0; yy < w.y1; yy++)
          for (int64_t xx = w.x0; xx < w.x1; xx++) {
            const float* in = x + ((b * p.h + yy) * p.w + xx) * p.c;
            for (int64_t k = 0; k < p.c; k++) out[k] += in[k];
          }
        const float count = static_cast<float>((w.y1 - w.y0) * (w.x1 - w.x0));
        for (int64_t k = 0; k < p.c; k++) out[k] /= count;
      }
}

void avgPoolGrad(const Pool& p, const float* dy, float* dx) {
#pragma omp parallel for
  for (int64_t b = 0; b < p.n; b++) {
    float* img = dx + b * p.h * p.w * p.c;
    std::fill(img, img + p.h * p.w * p.c, 0.f);
    for (int64_t i = 0; i < p.oh; i++)
      for (int64_t j = 0; j < p.ow; j++) {
        const Window w = window(p, i, j);
        const float* g = dy + ((b * p.oh + i) * p.ow + j) * p.c;
        const float count = static_cast<float>((w.y1 - w.y0) * (w.x1 - w.x0));
        for (int64_t yy = w.y0; yy < w.y1; yy++)
          for (int64_t xx = w.x0; xx < w.x1; xx++) {
            float* d = img + (yy * p.w + xx) * p.c;
            for (int64_t k = 0; k < p.c; k++) d[k] += g[k] / count;
          }
      }
  }
}

class AvgPool : public Layer {
 public:
  explicit AvgPool(const Settings& s) : Layer(s), p_(poolOf(s)) {}

  const float* forward(const float* x, std::vector<float>& act, const Pass& p) override {
    if (act.size() < static_cast<size_t>(p.n * out)) act.resize(p.n * out);
    Pool q = p_;
    q.n = p.n;
    avgPool(q, x, act.data());
    p.clock.mark(PoolPhase);
    return act.data();
  }

  void backward(Grad& d, const float*, const float*, const Pass& p, std::vector<std::vector<float>>&) override {
    if (!inputGrad) return;
    Pool q = p_;
    q.n = p.n;
    avgPoolGrad(q, d.g, d.other);
    d.swap();
    p.clock.mark(PoolGradPhase);
  }

 private:
  Pool p_;
};

const Registration registered("avgpool", [](const Settings& s) -> std::unique_ptr<Layer> {
  return std::make_unique<AvgPool>(s);
});

}  // namespace

}  // namespace cnnp
