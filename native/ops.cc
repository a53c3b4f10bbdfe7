#include "ops.h"

#include <pthread.h>
#include <signal.h>

#include <omp.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

// Loops worth AVX2 or AVX-512 where the CPU has them, in a build that runs on any x86-64.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CNNP_VECTOR __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CNNP_VECTOR
#endif

using namespace dnnl;

namespace cnnp {

engine& eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
// A stream per thread: the whole step runs slices of a batch on threads of its own (net.cc).
stream& strm() {
  thread_local stream s(eng());
  return s;
}

std::string Geometry::key() const {
  std::string k;
  for (int64_t x : {n, h, w, ci, kh, kw, co, sh, sw, pt, pl, pb, pr, oh, ow}) k += std::to_string(x) + ",";
  return k;
}
memory::desc Geometry::src() const { return {{n, ci, h, w}, memory::data_type::f32, memory::format_tag::nhwc}; }
memory::desc Geometry::weights() const {
  return {{co, ci, kh, kw}, memory::data_type::f32, memory::format_tag::hwio};
}
/** Weights in whatever layout oneDNN's fastest kernel wants (blocked): 3-5x faster here. */
memory::desc Geometry::anyWeights() const {
  return {{co, ci, kh, kw}, memory::data_type::f32, memory::format_tag::any};
}
memory::desc Geometry::dst() const { return {{n, co, oh, ow}, memory::data_type::f32, memory::format_tag::nhwc}; }
memory::desc Geometry::bias() const { return {{co}, memory::data_type::f32, memory::format_tag::a}; }

bool Pool::tiles() const { return kh == 2 && kw == 2 && sh == 2 && sw == 2 && pt == 0 && pl == 0 && oh == h / 2 && ow == w / 2; }

namespace {

convolution_forward::primitive_desc forwardPd(const Geometry& g, bool bias, bool relu) {
  primitive_attr attr;
  if (relu) {
    post_ops po;
    po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(po);
  }
  memory::dims strides{g.sh, g.sw}, padL{g.pt, g.pl}, padR{g.pb, g.pr};
  auto d = bias ? convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, g.src(),
                                            g.anyWeights(), g.bias(), g.dst(), strides, padL, padR)
                : convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, g.src(),
                                            g.anyWeights(), g.dst(), strides, padL, padR);
  return convolution_forward::primitive_desc(d, attr, eng());
}

/**
 * TensorFlow.js' HWIO weights in the layout a primitive wants: a buffer of that layout and the
 * reorder between the two, made once per geometry (the weights are small; the reorder is cheap).
 */
struct Relayout {
  memory::desc user;
  memory::desc theirs;
  memory buffer;
  bool same;
  reorder toTheirs, toUser;
  Relayout(const memory::desc& u, const memory::desc& t) : user(u), theirs(t), buffer(t, eng()), same(u == t) {
    if (same) return;
    toTheirs = reorder(reorder::primitive_desc(eng(), user, eng(), theirs));
    toUser = reorder(reorder::primitive_desc(eng(), theirs, eng(), user));
  }
  /** Reorders the user's weights in, returning what the primitive should read. */
  memory in(const float* data) {
    memory u(user, eng(), const_cast<float*>(data));
    if (same) return u;
    toTheirs.execute(strm(), {{DNNL_ARG_FROM, u}, {DNNL_ARG_TO, buffer}});
    return buffer;
  }
  /** The memory the primitive should write; `out` copies it to the user's array afterwards. */
  memory target(float* data) { return same ? memory(user, eng(), data) : buffer; }
  void out(float* data) {
    if (same) return;
    memory u(user, eng(), data);
    toUser.execute(strm(), {{DNNL_ARG_FROM, buffer}, {DNNL_ARG_TO, u}});
  }
};

struct Forward {
  convolution_forward::primitive_desc pd;
  convolution_forward prim;
  Relayout weights;
};
struct BackwardData {
  convolution_backward_data::primitive_desc pd;
  convolution_backward_data prim;
  Relayout weights;
};
struct BackwardWeights {
  convolution_backward_weights::primitive_desc pd;
  convolution_backward_weights prim;
  Relayout weights;
};

// Creating a primitive costs far more than running a small one: keep them by geometry. Inside a
// parallel region (the whole step's batch slices) each thread has its own, made there, so that
// oneDNN picks its one-thread kernel and no two threads share a primitive's weight buffer.
std::unordered_map<std::string, std::unique_ptr<Forward>> forwards;
std::unordered_map<std::string, std::unique_ptr<BackwardData>> backwardDatas;
std::unordered_map<std::string, std::unique_ptr<BackwardWeights>> backwardWeights;
std::mutex cacheLock;

/** The cache key of a geometry on this thread. */
std::string keyOf(const Geometry& g) {
  return omp_in_parallel() ? g.key() + "t" + std::to_string(omp_get_thread_num()) : g.key();
}

Forward& forward(const Geometry& g, bool bias, bool relu) {
  std::string k = keyOf(g) + (bias ? "b" : "") + (relu ? "r" : "");
  std::lock_guard<std::mutex> hold(cacheLock);
  auto it = forwards.find(k);
  if (it != forwards.end()) return *it->second;
  auto pd = forwardPd(g, bias, relu);
  auto f = std::make_unique<Forward>(Forward{pd, convolution_forward(pd), Relayout(g.weights(), pd.weights_desc())});
  return *(forwards[k] = std::move(f));
}

/**
 * Passes over oneDNN's 1x1 kernels for a strided 1x1 convolution (a projection shortcut): with
 * strides they copy the input to unit stride first, and in oneDNN 2.6.3 the filter gradient came
 * out wrong and the data gradient wrote past its buffer (heap corruption). The next kernel on the
 * list (a general one) is right; a convolution with a larger window never uses them.
 */
template <typename Pd>
Pd& general(Pd& pd, const Geometry& g) {
  if (g.kh != 1 || g.kw != 1 || (g.sh == 1 && g.sw == 1)) return pd;
  while (std::string(pd.impl_info_str()).find("1x1") != std::string::npos)
    if (!pd.next_impl()) throw std::runtime_error("oneDNN has no kernel but a 1x1 one for a strided 1x1 convolution");
  return pd;
}

BackwardData& backwardData(const Geometry& g) {
  std::string k = keyOf(g);
  std::lock_guard<std::mutex> hold(cacheLock);
  auto it = backwardDatas.find(k);
  if (it != backwardDatas.end()) return *it->second;
  auto hint = forwardPd(g, false, false);
  auto d = convolution_backward_data::desc(algorithm::convolution_direct, g.src(), g.anyWeights(), g.dst(),
                                           {g.sh, g.sw}, {g.pt, g.pl}, {g.pb, g.pr});
  auto pd = convolution_backward_data::primitive_desc(d, eng(), hint);
  general(pd, g);
  auto b = std::make_unique<BackwardData>(
      BackwardData{pd, convolution_backward_data(pd), Relayout(g.weights(), pd.weights_desc())});
  return *(backwardDatas[k] = std::move(b));
}

BackwardWeights& backwardWeight(const Geometry& g, bool bias) {
  std::string k = keyOf(g) + (bias ? "b" : "");
  std::lock_guard<std::mutex> hold(cacheLock);
  auto it = backwardWeights.find(k);
  if (it != backwardWeights.end()) return *it->second;
  auto hint = forwardPd(g, bias, false);
  memory::dims strides{g.sh, g.sw}, padL{g.pt, g.pl}, padR{g.pb, g.pr};
  auto d = bias ? convolution_backward_weights::desc(algorithm::convolution_direct, g.src(), g.anyWeights(),
                                                     g.bias(), g.dst(), strides, padL, padR)
                : convolution_backward_weights::desc(algorithm::convolution_direct, g.src(), g.anyWeights(), g.dst(),
                                                     strides, padL, padR);
  auto pd = convolution_backward_weights::primitive_desc(d, eng(), hint);
  general(pd, g);
  auto b = std::make_unique<BackwardWeights>(
      BackwardWeights{pd, convolution_backward_weights(pd), Relayout(g.weights(), pd.diff_weights_desc())});
  return *(backwardWeights[k] = std::move(b));
}

}  // namespace

void conv2d(const Geometry& g, const float* x, const float* filter, const float* bias, float* y, bool relu) {
  auto& fw = forward(g, bias != nullptr, relu);
  std::unordered_map<int, memory> m{{DNNL_ARG_SRC, memory(g.src(), eng(), const_cast<float*>(x))},
                                    {DNNL_ARG_WEIGHTS, fw.weights.in(filter)},
                                    {DNNL_ARG_DST, memory(g.dst(), eng(), y)}};
  if (bias) m.insert({DNNL_ARG_BIAS, memory(g.bias(), eng(), const_cast<float*>(bias))});
  fw.prim.execute(strm(), m);
  strm().wait();
}

void conv2dBackwardData(const Geometry& g, const float* dy, const float* filter, float* dx) {
  auto& bd = backwardData(g);
  bd.prim.execute(strm(), {{DNNL_ARG_DIFF_DST, memory(g.dst(), eng(), const_cast<float*>(dy))},
                           {DNNL_ARG_WEIGHTS, bd.weights.in(filter)},
                           {DNNL_ARG_DIFF_SRC, memory(g.src(), eng(), dx)}});
  strm().wait();
}

void conv2dBackwardFilter(const Geometry& g, const float* x, const float* dy, float* dFilter, float* dBias) {
  auto& bw = backwardWeight(g, dBias != nullptr);
  std::unordered_map<int, memory> m{{DNNL_ARG_SRC, memory(g.src(), eng(), const_cast<float*>(x))},
                                    {DNNL_ARG_DIFF_DST, memory(g.dst(), eng(), const_cast<float*>(dy))},
                                    {DNNL_ARG_DIFF_WEIGHTS, bw.weights.target(dFilter)}};
  if (dBias) m.insert({DNNL_ARG_DIFF_BIAS, memory(g.bias(), eng(), dBias)});
  bw.prim.execute(strm(), m);
  bw.weights.out(dFilter);
  strm().wait();
}

std::string convImplementation(const Geometry& g) { return forwardPd(g, true, true).impl_info_str(); }

bool sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  return sgemm(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, 0.f, c, n);
}

bool sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
           float beta, float* c, int64_t ldc) {
  // oneDNN's sgemm runs parts of its work with the stack pointer in a heap buffer of its own
  // (valgrind shows the switch). A signal handled meanwhile (a profiler's SIGPROF, say) would push
  // its frame below that buffer, into the heap, and corrupt it: signals wait until it returns.
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &before);
  const bool ok =
      dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, a, lda, b, ldb, beta, c, ldc) ==
      dnnl_success;
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  return ok;
}

namespace {

// A 2x2 window's maximum and the gradient of its first maximum, branch-free so that the compiler
// vectorises them over the channels, one image per call (OpenMP's outlined loops would lose the
// AVX clones). The comparisons are those of the general loops (padding never wins; a later value
// wins only when strictly greater), so the results are the same.
CNNP_VECTOR void maxPoolImage(const Pool& p, const float* __restrict x, float* __restrict y) {
  const int64_t C = p.c;
  for (int64_t i = 0; i < p.oh; i++)
    for (int64_t j = 0; j < p.ow; j++) {
      const float* r0 = x + ((2 * i) * p.w + 2 * j) * C;
      const float* r1 = r0 + C;
      const float* r2 = r0 + p.w * C;
      const float* r3 = r2 + C;
      float* out = y + (i * p.ow + j) * C;
      for (int64_t ch = 0; ch < C; ch++) {
        float m = -__builtin_inff();
        m = r0[ch] > m ? r0[ch] : m;
        m = r1[ch] > m ? r1[ch] : m;
        m = r2[ch] > m ? r2[ch] : m;
        m = r3[ch] > m ? r3[ch] : m;
        out[ch] = m;
      }
    }
}

template <bool Relu>
CNNP_VECTOR void maxPoolGradImage(const Pool& p, const float* __restrict dy, const float* __restrict x,
                                  float* __restrict dx) {
  const int64_t C = p.c;
  for (int64_t i = 0; i < p.oh; i++) {
    for (int64_t j = 0; j < p.ow; j++) {
      const int64_t r0 = ((2 * i) * p.w + 2 * j) * C, r1 = r0 + C, r2 = r0 + p.w * C, r3 = r2 + C;
      const float* g = dy + (i * p.ow + j) * C;
      for (int64_t ch = 0; ch < C; ch++) {
        const float v0 = x[r0 + ch], v1 = x[r1 + ch], v2 = x[r2 + ch], v3 = x[r3 + ch];
        // The last value strictly above the maximum before it is the first maximum.
        const float m1 = v1 > v0 ? v1 : v0;
        const float m2 = v2 > m1 ? v2 : m1;
        const float m3 = v3 > m2 ? v3 : m2;
        float rest = g[ch];
        if constexpr (Relu) rest = m3 > 0.f ? rest : 0.f;
        dx[r3 + ch] = v3 > m2 ? rest : 0.f;
        rest = v3 > m2 ? 0.f : rest;
        dx[r2 + ch] = v2 > m1 ? rest : 0.f;
        rest = v2 > m1 ? 0.f : rest;
        dx[r1 + ch] = v1 > v0 ? rest : 0.f;
        dx[r0 + ch] = v1 > v0 ? 0.f : rest;
      }
    }
    // An odd width leaves a last column no window covers.
    if (p.w % 2)
      for (int64_t r = 2 * i; r < 2 * i + 2; r++)
        for (int64_t ch = 0; ch < C; ch++) dx[(r * p.w + p.w - 1) * C + ch] = 0.f;
  }
  if (p.h % 2)
    for (int64_t q = 0; q < p.w * C; q++) dx[((p.h - 1) * p.w) * C + q] = 0.f;
}

void maxPoolTiles(const Pool& p, const float* x, float* y) {
  const int64_t in = p.h * p.w * p.c, out = p.oh * p.ow * p.c;
#pragma omp parallel for if (p.n * out > 32768)
  for (int64_t b = 0; b < p.n; b++) maxPoolImage(p, x + b * in, y + b * out);
}

void maxPoolGradTiles(const Pool& p, const float* dy, const float* x, float* dx, bool relu) {
  const int64_t in = p.h * p.w * p.c, out = p.oh * p.ow * p.c;
#pragma omp parallel for if (p.n * in > 65536)
  for (int64_t b = 0; b < p.n; b++) {
    if (relu) maxPoolGradImage<true>(p, dy + b * out, x + b * in, dx + b * in);
    else maxPoolGradImage<false>(p, dy + b * out, x + b * in, dx + b * in);
  }
}

}  // namespace

void maxPool(const Pool& p, const float* x, float* y) {
  if (p.tiles()) return maxPoolTiles(p, x, y);
#pragma omp parallel for collapse(2) if (p.n * p.oh * p.ow * p.c > 32768)
  for (int64_t b = 0; b < p.n; b++)
    for (int64_t i = 0; i < p.oh; i++)
      for (int64_t j = 0; j < p.ow; j++) {
        float* out = y + ((b * p.oh + i) * p.ow + j) * p.c;
        for (int64_t ch = 0; ch < p.c; ch++) out[ch] = -__builtin_inff();
        for (int64_t u = 0; u < p.kh; u++) {
          int64_t r = i * p.sh - p.pt + u;
          if (r < 0 || r >= p.h) continue;
          for (int64_t v = 0; v < p.kw; v++) {
            int64_t s = j * p.sw - p.pl + v;
            if (s < 0 || s >= p.w) continue;
            const float* in = x + ((b * p.h + r) * p.w + s) * p.c;
            for (int64_t ch = 0; ch < p.c; ch++) out[ch] = in[ch] > out[ch] ? in[ch] : out[ch];
          }
        }
      }
}

void maxPoolGrad(const Pool& p, const float* dy, const float* x, float* dx, bool relu) {
  if (p.tiles()) return maxPoolGradTiles(p, dy, x, dx, relu);
  // Windows overlap when strides are smaller than the window: one image per thread keeps the
  // accumulation race-free.
#pragma omp parallel for if (p.n * p.oh * p.ow * p.c > 32768)
  for (int64_t b = 0; b < p.n; b++) {
    std::vector<float> best(p.c);
    std::vector<int64_t> where(p.c);
    for (int64_t i = 0; i < p.oh; i++)
      for (int64_t j = 0; j < p.ow; j++) {
        for (int64_t ch = 0; ch < p.c; ch++) {
          best[ch] = -__builtin_inff();
          where[ch] = -1;
        }
        for (int64_t u = 0; u < p.kh; u++) {
          int64_t r = i * p.sh - p.pt + u;
          if (r < 0 || r >= p.h) continue;
          for (int64_t v = 0; v < p.kw; v++) {
            int64_t s = j * p.sw - p.pl + v;
            if (s < 0 || s >= p.w) continue;
            int64_t at = ((b * p.h + r) * p.w + s) * p.c;
            for (int64_t ch = 0; ch < p.c; ch++)
              if (x[at + ch] > best[ch] || where[ch] < 0) {
                best[ch] = x[at + ch];
                where[ch] = at + ch;
              }
          }
        }
        const float* g = dy + ((b * p.oh + i) * p.ow + j) * p.c;
        for (int64_t ch = 0; ch < p.c; ch++)
          if (where[ch] >= 0 && (!relu || best[ch] > 0.f)) dx[where[ch]] += g[ch];
      }
  }
}

namespace {

// The element-wise loops below run in chunks, each chunk in a function of its own with the AVX
// clones (a loop inside `omp parallel for` is outlined and compiled for the baseline only: the
// relu gradient ran as scalar code with a branch per element). The arithmetic is that of the
// scalar loops, element by element, so the results are the same to the bit.
constexpr size_t kChunk = 16384;

CNNP_VECTOR void reluGradChunk(const float* dy, const float* y, float* dx, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
}

CNNP_VECTOR void biasAddRows(const float* x, const float* bias, float* y, size_t rows, size_t c, bool relu) {
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    if (relu) {
#pragma omp simd
      for (size_t j = 0; j < c; j++) {
        const float v = xr[j] + bias[j];
        yr[j] = v < 0.f ? 0.f : v;
      }
    } else {
#pragma omp simd
      for (size_t j = 0; j < c; j++) yr[j] = xr[j] + bias[j];
    }
  }
}

CNNP_VECTOR void sumRowsInto(const float* __restrict x, double* __restrict acc, size_t rows, size_t c) {
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
#pragma omp simd
    for (size_t j = 0; j < c; j++) acc[j] += xr[j];
  }
}

CNNP_VECTOR void sumChunk(const float* const* gs, int parts, size_t at, float* __restrict sum, size_t n) {
  const float* g0 = gs[0] + at;
#pragma omp simd
  for (size_t k = 0; k < n; k++) sum[k] = g0[k];
  for (int p = 1; p < parts; p++) {
    const float* q = gs[p] + at;
#pragma omp simd
    for (size_t k = 0; k < n; k++) sum[k] += q[k];
  }
}

CNNP_VECTOR void sgdChunk(const float* g, float* w, float c, size_t n) {
#pragma omp simd
  for (size_t k = 0; k < n; k++) w[k] = c * g[k] + w[k];
}

CNNP_VECTOR void momentumChunk(const float* g, float* v, float* w, float c, float momentum, size_t n) {
#pragma omp simd
  for (size_t k = 0; k < n; k++) {
    v[k] = v[k] * momentum + g[k];
    w[k] = c * v[k] + w[k];
  }
}

/** Runs body(from, count) over [0, n) in chunks, on the team's threads when n is above `parallelAbove`. */
template <typename Body>
void chunked(size_t n, size_t parallelAbove, Body body) {
  const int64_t chunks = static_cast<int64_t>((n + kChunk - 1) / kChunk);
#pragma omp parallel for if (n > parallelAbove)
  for (int64_t b = 0; b < chunks; b++) {
    const size_t from = static_cast<size_t>(b) * kChunk;
    body(from, std::min(kChunk, n - from));
  }
}

}  // namespace

void reluGrad(const float* dy, const float* y, float* dx, size_t n) {
  chunked(n, 65536, [&](size_t at, size_t len) { reluGradChunk(dy + at, y + at, dx + at, len); });
}

void biasAdd(const float* x, const float* bias, float* y, size_t n, size_t c, bool relu) {
  const size_t rows = n / c;
  const size_t per = std::max<size_t>(1, kChunk / c);
  const int64_t blocks = static_cast<int64_t>((rows + per - 1) / per);
#pragma omp parallel for if (n > 65536)
  for (int64_t b = 0; b < blocks; b++) {
    const size_t r = static_cast<size_t>(b) * per;
    biasAddRows(x + r * c, bias, y + r * c, std::min(per, rows - r), c, relu);
  }
}

void sumRows(const float* x, float* out, size_t n, size_t c) {
  std::vector<double> acc(c, 0.0);
  sumRowsInto(x, acc.data(), n / c, c);
  for (size_t j = 0; j < c; j++) out[j] = static_cast<float>(acc[j]);
}

void sgdUpdate(const float* g, float* w, float c, size_t n) {
  chunked(n, 262144, [&](size_t at, size_t len) { sgdChunk(g + at, w + at, c, len); });
}

void momentumUpdate(const float* g, float* v, float* w, float c, float momentum, size_t n) {
  chunked(n, 262144, [&](size_t at, size_t len) { momentumChunk(g + at, v + at, w + at, c, momentum, len); });
}

void stepFrom(const float* g, float* v, float* w, float c, float momentum, size_t n) {
  if (v)
    momentumChunk(g, v, w, c, momentum, n);
  else
    sgdChunk(g, w, c, n);
}

void sumAndUpdate(const float* const* gs, int parts, int64_t at, float* v, float* w, float c, float momentum, size_t n) {
  constexpr size_t kSum = 4096;  // 16 KB: the sum stays in the first-level cache
  float sum[kSum];
  for (size_t from = 0; from < n; from += kSum) {
    const size_t len = std::min(kSum, n - from);
    const size_t offset = static_cast<size_t>(at) + from;
    sumChunk(gs, parts, offset, sum, len);
    stepFrom(sum, v ? v + from : nullptr, w + from, c, momentum, len);
  }
}

}  // namespace cnnp
