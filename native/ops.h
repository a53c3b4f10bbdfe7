// The kernels cnnp's native back end runs, on raw float arrays: oneDNN convolutions and GEMM, and
// plain loops for pooling and the element-wise steps. Shapes are NHWC for images and HWIO for
// filters, as TensorFlow.js has them. Used by the per-kernel bindings (cnnp_native.cc) and by the
// whole training step (net.cc).
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <string>

namespace cnnp {

/** A convolution's geometry: x [n,h,w,ci], filter [kh,kw,ci,co], y [n,oh,ow,co]. */
struct Geometry {
  int64_t n, h, w, ci, kh, kw, co, sh, sw, pt, pl, pb, pr, oh, ow;
  std::string key() const;
  dnnl::memory::desc src() const;
  dnnl::memory::desc weights() const;
  dnnl::memory::desc anyWeights() const;
  dnnl::memory::desc dst() const;
  dnnl::memory::desc bias() const;
};

/** Pooling geometry: x [n,h,w,c], window kh x kw, strides, top/left padding, y [n,oh,ow,c]. */
struct Pool {
  int64_t n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow;
  /** A 2x2, stride-2, unpadded pool whose windows tile the input. */
  bool tiles() const;
};

// Each throws dnnl::error when oneDNN fails.
void conv2d(const Geometry& g, const float* x, const float* filter, const float* bias, float* y, bool relu);
void conv2dBackwardData(const Geometry& g, const float* dy, const float* filter, float* dx);
/** dBias may be null. */
void conv2dBackwardFilter(const Geometry& g, const float* x, const float* dy, float* dFilter, float* dBias);
std::string convImplementation(const Geometry& g);

/** Row-major c = op(a) op(b), a: m x k after op, b: k x n after op. False when oneDNN fails. */
bool sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c);
/** The same with leading dimensions and c = op(a) op(b) + beta c. */
bool sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
           float beta, float* c, int64_t ldc);

void maxPool(const Pool& p, const float* x, float* y);
/**
 * Each window's gradient goes to its first maximum, as in TensorFlow; with relu, only where that
 * maximum is above 0. dx must be zeroed unless p.tiles() (then every element is written).
 */
void maxPoolGrad(const Pool& p, const float* dy, const float* x, float* dx, bool relu);

void reluGrad(const float* dy, const float* y, float* dx, size_t n);
/** y[r, c] = x[r, c] + bias[c] (then relu) for n / c rows. */
void biasAdd(const float* x, const float* bias, float* y, size_t n, size_t c, bool relu);
/** out[c] = the sum over n / c rows of x[r, c], accumulated in double. */
void sumRows(const float* x, float* out, size_t n, size_t c);
/** TensorFlow.js' SGD step on n values: w = c g + w (c = -learning rate). */
void sgdUpdate(const float* g, float* w, float c, size_t n);
/** TensorFlow.js' momentum step on n values: v = v m + g, then w = c v + w. */
void momentumUpdate(const float* g, float* v, float* w, float c, float momentum, size_t n);
/** The step from gradient g for n values, on the calling thread: SGD (v null) or momentum. */
void stepFrom(const float* g, float* v, float* w, float c, float momentum, size_t n);
/**
 * The step from the sum of `parts` slices' gradients, gs[0][at + k] + gs[1][at + k] + ... in that
 * order, for n values: SGD (v null) or momentum, as above. On the calling thread; the sum lives in
 * a chunk-sized buffer, so no summed array is written.
 */
void sumAndUpdate(const float* const* gs, int parts, int64_t at, float* v, float* w, float c, float momentum, size_t n);

dnnl::engine& eng();
dnnl::stream& strm();

}  // namespace cnnp
