#include "layers.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace cnnp {

void batchNormTrain(const float* x, int64_t rows, int64_t c, const float* gamma, const float* beta, float epsilon,
                    float momentum, float* movingMean, float* movingVar, float* xhat, float* invStd, float* y) {
  std::vector<double> sum(c, 0.0), sq(c, 0.0);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t k = 0; k < c; k++) sum[k] += x[r * c + k];
  std::vector<float> mean(c);
  for (int64_t k = 0; k < c; k++) mean[k] = static_cast<float>(sum[k] / static_cast<double>(rows));
  for (int64_t r = 0; r < rows; r++)
    for (int64_t k = 0; k < c; k++) {
      const double d = static_cast<double>(x[r * c + k]) - mean[k];
      sq[k] += d * d;
    }
  for (int64_t k = 0; k < c; k++) {
    const float var = static_cast<float>(sq[k] / static_cast<double>(rows));
    invStd[k] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var) + epsilon));
    movingMean[k] = movingMean[k] * momentum + mean[k] * (1.f - momentum);
    movingVar[k] = movingVar[k] * momentum + var * (1.f - momentum);
  }
#pragma omp parallel for if (rows * c > 262144)
  for (int64_t r = 0; r < rows; r++)
    for (int64_t k = 0; k < c; k++) {
      const float h = (x[r * c + k] - mean[k]) * invStd[k];
      xhat[r * c + k] = h;
      y[r * c + k] = gamma[k] * h + beta[k];
    }
}

void batchNormInfer(const float* x, int64_t rows, int64_t c, const float* gamma, const float* beta, float epsilon,
                    const float* movingMean, const float* movingVar, float* y) {
  std::vector<float> scale(c), shift(c);
  for (int64_t k = 0; k < c; k++) {
    const float inv = static_cast<float>(1.0 / std::sqrt(static_cast<double>(movingVar[k]) + epsilon));
    scale[k] = gamma[k] * inv;
    shift[k] = beta[k] - movingMean[k] * scale[k];
  }
#pragma omp parallel for if (rows * c > 262144)
  for (int64_t r = 0; r < rows; r++)
    for (int64_t k = 0; k < c; k++) y[r * c + k] = x[r * c + k] * scale[k] + shift[k];
}

void batchNormBackward(const float* dy, const float* xhat, const float* invStd, const float* gamma, int64_t rows,
                       int64_t c, float* dGamma, float* dBeta, float* dx) {
  std::vector<double> dg(c, 0.0), db(c, 0.0);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t k = 0; k < c; k++) {
      db[k] += dy[r * c + k];
      dg[k] += static_cast<double>(dy[r * c + k]) * xhat[r * c + k];
    }
  for (int64_t k = 0; k < c; k++) {
    dGamma[k] = static_cast<float>(dg[k]);
    dBeta[k] = static_cast<float>(db[k]);
  }
  if (!dx) return;
  std::vector<float> a(c), b(c), m(c);
  const double n = static_cast<double>(rows);
  for (int64_t k = 0; k < c; k++) {
    const double s = static_cast<double>(gamma[k]) * invStd[k];
    a[k] = static_cast<float>(s);
    b[k] = static_cast<float>(s * db[k] / n);
    m[k] = static_cast<float>(s * dg[k] / n);
  }
#pragma omp parallel for if (rows * c > 262144)
  for (int64_t r = 0; r < rows; r++)
    for (int64_t k = 0; k < c; k++) dx[r * c + k] = a[k] * dy[r * c + k] - b[k] - xhat[r * c + k] * m[k];
}

namespace {

/** The window of output (i, j): its rows [y0, y1) and columns [x0, x1) inside the image. */
struct Window {
  int64_t y0, y1, x0, x1;
};

Window window(const Pool& p, int64_t i, int64_t j) {
  const int64_t ys = i * p.sh - p.pt, xs = j * p.sw - p.pl;
  return {std::max<int64_t>(ys, 0), std::min(ys + p.kh, p.h), std::max<int64_t>(xs, 0), std::min(xs + p.kw, p.w)};
}

}  // namespace

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

void globalPool(const float* x, int64_t n, int64_t cells, int64_t c, float* y) {
  for (int64_t b = 0; b < n; b++) {
    std::vector<double> s(c, 0.0);
    for (int64_t q = 0; q < cells; q++)
      for (int64_t k = 0; k < c; k++) s[k] += x[(b * cells + q) * c + k];
    for (int64_t k = 0; k < c; k++) y[b * c + k] = static_cast<float>(s[k] / static_cast<double>(cells));
  }
}

void globalPoolGrad(const float* dy, int64_t n, int64_t cells, int64_t c, float* dx) {
  const float inv = 1.f / static_cast<float>(cells);
  for (int64_t b = 0; b < n; b++)
    for (int64_t q = 0; q < cells; q++)
      for (int64_t k = 0; k < c; k++) dx[(b * cells + q) * c + k] = dy[b * c + k] * inv;
}

}  // namespace cnnp
