// The kernels of batch normalisation, average pooling and global average pooling, forward and
// backward, for the whole training step (net.cc). Layouts are channels last: rows x channels.
#pragma once
#include <cstdint>

#include "ops.h"

namespace cnnp {

/**
 * Training forward of batch normalisation over `rows` rows of `c` channels: the batch's mean and
 * (biased) variance per channel, xhat = (x - mean) / sqrt(var + eps) kept for the backward pass,
 * y = gamma xhat + beta, and Keras' update of the moving statistics: m = m momentum + batch (1 - momentum).
 */
void batchNormTrain(const float* x, int64_t rows, int64_t c, const float* gamma, const float* beta, float epsilon,
                    float momentum, float* movingMean, float* movingVar, float* xhat, float* invStd, float* y);
/** Inference: y = gamma (x - moving mean) / sqrt(moving var + eps) + beta. */
void batchNormInfer(const float* x, int64_t rows, int64_t c, const float* gamma, const float* beta, float epsilon,
                    const float* movingMean, const float* movingVar, float* y);
/**
 * Backward from dy: dgamma = sum dy xhat, dbeta = sum dy, and, when dx is not null,
 * dx = gamma invStd / rows (rows dy - dbeta - xhat dgamma).
 */
void batchNormBackward(const float* dy, const float* xhat, const float* invStd, const float* gamma, int64_t rows,
                       int64_t c, float* dGamma, float* dBeta, float* dx);

/** Average of each window's cells inside the image (padding is not counted, as in TensorFlow). */
void avgPool(const Pool& p, const float* x, float* y);
/** Each window's gradient shared among its cells inside the image; dx is overwritten. */
void avgPoolGrad(const Pool& p, const float* dy, float* dx);

/** Mean over the `cells` positions of each image's channels: x [n, cells, c] -> y [n, c]. */
void globalPool(const float* x, int64_t n, int64_t cells, int64_t c, float* y);
void globalPoolGrad(const float* dy, int64_t n, int64_t cells, int64_t c, float* dx);

}  // namespace cnnp
