// Batch normalisation over the last axis (rows x channels), forward and backward. The batch's
// statistics make it run whole: a net with one trains its batch in one slice.
#include <cmath>
#include <stdexcept>

#include "layer.h"

namespace cnnp {

namespace {

/**
 * Training forward over `rows` rows of `c` channels: the batch's mean and (biased) variance per
 * channel, xhat = (x - mean) / sqrt(var + eps) kept for the backward pass, y = gamma xhat + beta,
 * and Keras' update of the moving statistics: m = m momentum + batch (1 - momentum).
 */
void train(const float* x, int64_t rows, int64_t c, const float* gamma, const float* beta, float epsilon,
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

/** Inference: y = gamma (x - moving mean) / sqrt(moving var + eps) + beta. */
void infer(const float* x, int64_t rows, int64_t c, const float* gamma, const float* beta, float epsilon,
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

/**
 * Backward from dy: dgamma = sum dy xhat, dbeta = sum dy, and, when dx is not null,
 * dx = gamma invStd / rows (rows dy - dbeta - xhat dgamma).
 */
void backwardOf(const float* dy, const float* xhat, const float* invStd, const float* gamma, int64_t rows, int64_t c,
                float* dGamma, float* dBeta, float* dx) {
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

class BatchNorm : public Layer {
 public:
  explicit BatchNorm(const Settings& s)
      : Layer(s), c_(s.integer("channels")), epsilon_(s.number("epsilon")), momentum_(s.number("momentum")) {
    if (c_ <= 0 || out % c_) throw std::invalid_argument("batchnorm channels do not divide its values");
  }

  std::vector<int64_t> trained() const override { return {c_, c_}; }
  std::vector<int64_t> untrained() const override { return {c_, c_}; }
  bool wholeBatch() const override { return true; }

  const float* forward(const float* x, std::vector<float>& act, const Pass& p) override {
    // Only ever one slice: first is 0 and n the whole batch.
    const size_t size = p.n * out;
    if (act.size() < size) act.resize(size);
    const int64_t rows = p.n * out / c_;
    const float eps = static_cast<float>(epsilon_);
    if (p.training) {
      if (xhat_.size() < size) xhat_.resize(size);
      invStd_.resize(c_);
      train(x, rows, c_, p.w[weights], p.w[weights + 1], eps, static_cast<float>(momentum_), p.w[stats],
            p.w[stats + 1], xhat_.data(), invStd_.data(), act.data());
    } else {
      infer(x, rows, c_, p.w[weights], p.w[weights + 1], eps, p.w[stats], p.w[stats + 1], act.data());
    }
    p.clock.mark(ElementwisePhase);
    return act.data();
  }

  void backward(Grad& d, const float*, const float*, const Pass& p, std::vector<std::vector<float>>& grads) override {
    backwardOf(d.g, xhat_.data(), invStd_.data(), p.w[weights], p.n * out / c_, c_, grads[weights].data(),
               grads[weights + 1].data(), inputGrad ? d.other : nullptr);
    if (inputGrad) d.swap();
    p.clock.mark(ElementwisePhase);
  }

 private:
  int64_t c_;
  double epsilon_, momentum_;
  std::vector<float> xhat_, invStd_;
};

const Registration registered("batchnorm", [](const Settings& s) -> std::unique_ptr<Layer> {
  return std::make_unique<BatchNorm>(s);
});

}  // namespace

}  // namespace cnnp
