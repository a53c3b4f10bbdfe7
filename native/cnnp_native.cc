// cnnp's native CPU kernels: oneDNN convolutions and GEMM, and plain loops for pooling and the
// small element-wise steps of a training step. Every function works in place on the Float32Arrays
// it is given (no copies); shapes are NHWC for images and HWIO for filters, as TensorFlow.js has them.
#include <node_api.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

using namespace dnnl;

namespace {

engine& eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
stream& strm() {
  static stream s(eng());
  return s;
}

struct Args {
  napi_env env;
  std::vector<napi_value> v;
  bool ok = true;
};

Args args(napi_env env, napi_callback_info info) {
  Args a{env, {}};
  size_t argc = 16;
  a.v.resize(argc);
  napi_get_cb_info(env, info, &argc, a.v.data(), nullptr, nullptr);
  a.v.resize(argc);
  return a;
}

napi_value fail(napi_env env, const std::string& msg) {
  napi_throw_error(env, "CNNP_NATIVE", msg.c_str());
  return nullptr;
}

float* f32(napi_env env, napi_value v, size_t* length) {
  napi_typedarray_type type;
  size_t len = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, nullptr, nullptr) != napi_ok ||
      type != napi_float32_array)
    return nullptr;
  if (length) *length = len;
  return static_cast<float*>(data);
}

/** An argument that is a Float32Array or null: `present` says which; null data when absent. */
float* optionalF32(napi_env env, napi_value v, bool* present) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  *present = t != napi_null && t != napi_undefined;
  return *present ? f32(env, v, nullptr) : nullptr;
}

int64_t num(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return static_cast<int64_t>(d);
}

bool flag(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}

std::vector<int64_t> ints(napi_env env, napi_value arr) {
  uint32_t n = 0;
  napi_get_array_length(env, arr, &n);
  std::vector<int64_t> out(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, arr, i, &e);
    out[i] = num(env, e);
  }
  return out;
}

/** A convolution's geometry: x [n,h,w,ci], filter [kh,kw,ci,co], y [n,oh,ow,co]. */
struct Geometry {
  int64_t n, h, w, ci, kh, kw, co, sh, sw, pt, pl, pb, pr, oh, ow;
  std::string key() const {
    std::string k;
    for (int64_t x : {n, h, w, ci, kh, kw, co, sh, sw, pt, pl, pb, pr, oh, ow}) k += std::to_string(x) + ",";
    return k;
  }
  memory::desc src() const { return {{n, ci, h, w}, memory::data_type::f32, memory::format_tag::nhwc}; }
  memory::desc weights() const { return {{co, ci, kh, kw}, memory::data_type::f32, memory::format_tag::hwio}; }
  /** Weights in whatever layout oneDNN's fastest kernel wants (blocked): 3-5x faster here. */
  memory::desc anyWeights() const { return {{co, ci, kh, kw}, memory::data_type::f32, memory::format_tag::any}; }
  memory::desc dst() const { return {{n, co, oh, ow}, memory::data_type::f32, memory::format_tag::nhwc}; }
  memory::desc bias() const { return {{co}, memory::data_type::f32, memory::format_tag::a}; }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims padL() const { return {pt, pl}; }
  memory::dims padR() const { return {pb, pr}; }
};

// geometry: [n,h,w,ci, kh,kw,co, sh,sw, pt,pl,pb,pr, oh,ow]
bool geometry(napi_env env, napi_value v, Geometry* g) {
  auto d = ints(env, v);
  if (d.size() != 15) return false;
  *g = {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14]};
  return true;
}

convolution_forward::primitive_desc forwardPd(const Geometry& g, bool bias, bool relu) {
  primitive_attr attr;
  if (relu) {
    post_ops po;
    po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(po);
  }
  auto d = bias ? convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, g.src(),
                                            g.anyWeights(), g.bias(), g.dst(), g.strides(), g.padL(), g.padR())
                : convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, g.src(),
                                            g.anyWeights(), g.dst(), g.strides(), g.padL(), g.padR());
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
  memory in(float* data) {
    memory u(user, eng(), data);
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

// Creating a primitive costs far more than running a small one: keep them by geometry.
std::unordered_map<std::string, std::unique_ptr<Forward>> forwards;
std::unordered_map<std::string, std::unique_ptr<BackwardData>> backwardData;
std::unordered_map<std::string, std::unique_ptr<BackwardWeights>> backwardWeights;

Forward& forward(const Geometry& g, bool bias, bool relu) {
  std::string k = g.key() + (bias ? "b" : "") + (relu ? "r" : "");
  auto it = forwards.find(k);
  if (it != forwards.end()) return *it->second;
  auto pd = forwardPd(g, bias, relu);
  auto f = std::make_unique<Forward>(Forward{pd, convolution_forward(pd), Relayout(g.weights(), pd.weights_desc())});
  return *(forwards[k] = std::move(f));
}

// conv2d(x, filter, bias | null, y, geometry, relu)
napi_value Conv2d(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  if (a.v.size() != 6) return fail(env, "conv2d: 6 arguments");
  Geometry g;
  if (!geometry(env, a.v[4], &g)) return fail(env, "conv2d: bad geometry");
  bool hasBias;
  float* b = optionalF32(env, a.v[2], &hasBias);
  float* x = f32(env, a.v[0], nullptr);
  float* f = f32(env, a.v[1], nullptr);
  float* y = f32(env, a.v[3], nullptr);
  if (!x || !f || !y || (hasBias && !b)) return fail(env, "conv2d: Float32Arrays expected");
  try {
    auto& fw = forward(g, hasBias, flag(env, a.v[5]));
    std::unordered_map<int, memory> m{{DNNL_ARG_SRC, memory(g.src(), eng(), x)},
                                      {DNNL_ARG_WEIGHTS, fw.weights.in(f)},
                                      {DNNL_ARG_DST, memory(g.dst(), eng(), y)}};
    if (hasBias) m.insert({DNNL_ARG_BIAS, memory(g.bias(), eng(), b)});
    fw.prim.execute(strm(), m);
    strm().wait();
  } catch (const dnnl::error& e) {
    return fail(env, std::string("oneDNN convolution: ") + e.what());
  }
  return nullptr;
}

// conv2dBackwardData(dy, filter, dx, geometry)
napi_value Conv2dBackwardData(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  if (a.v.size() != 4) return fail(env, "conv2dBackwardData: 4 arguments");
  Geometry g;
  if (!geometry(env, a.v[3], &g)) return fail(env, "conv2dBackwardData: bad geometry");
  float* dy = f32(env, a.v[0], nullptr);
  float* f = f32(env, a.v[1], nullptr);
  float* dx = f32(env, a.v[2], nullptr);
  if (!dy || !f || !dx) return fail(env, "conv2dBackwardData: Float32Arrays expected");
  try {
    std::string k = g.key();
    auto it = backwardData.find(k);
    if (it == backwardData.end()) {
      auto hint = forwardPd(g, false, false);
      auto d = convolution_backward_data::desc(algorithm::convolution_direct, g.src(), g.anyWeights(), g.dst(),
                                               g.strides(), g.padL(), g.padR());
      auto pd = convolution_backward_data::primitive_desc(d, eng(), hint);
      it = backwardData
               .emplace(k, std::make_unique<BackwardData>(
                               BackwardData{pd, convolution_backward_data(pd), Relayout(g.weights(), pd.weights_desc())}))
               .first;
    }
    it->second->prim.execute(strm(), {{DNNL_ARG_DIFF_DST, memory(g.dst(), eng(), dy)},
                                      {DNNL_ARG_WEIGHTS, it->second->weights.in(f)},
                                      {DNNL_ARG_DIFF_SRC, memory(g.src(), eng(), dx)}});
    strm().wait();
  } catch (const dnnl::error& e) {
    return fail(env, std::string("oneDNN convolution backward data: ") + e.what());
  }
  return nullptr;
}

// conv2dBackwardFilter(x, dy, dFilter, dBias | null, geometry)
napi_value Conv2dBackwardFilter(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  if (a.v.size() != 5) return fail(env, "conv2dBackwardFilter: 5 arguments");
  Geometry g;
  if (!geometry(env, a.v[4], &g)) return fail(env, "conv2dBackwardFilter: bad geometry");
  bool hasBias;
  float* db = optionalF32(env, a.v[3], &hasBias);
  float* x = f32(env, a.v[0], nullptr);
  float* dy = f32(env, a.v[1], nullptr);
  float* df = f32(env, a.v[2], nullptr);
  if (!x || !dy || !df || (hasBias && !db)) return fail(env, "conv2dBackwardFilter: Float32Arrays expected");
  try {
    std::string k = g.key() + (hasBias ? "b" : "");
    auto it = backwardWeights.find(k);
    if (it == backwardWeights.end()) {
      auto hint = forwardPd(g, hasBias, false);
      auto d = hasBias ? convolution_backward_weights::desc(algorithm::convolution_direct, g.src(), g.anyWeights(),
                                                            g.bias(), g.dst(), g.strides(), g.padL(), g.padR())
                       : convolution_backward_weights::desc(algorithm::convolution_direct, g.src(), g.anyWeights(),
                                                            g.dst(), g.strides(), g.padL(), g.padR());
      auto pd = convolution_backward_weights::primitive_desc(d, eng(), hint);
      it = backwardWeights
               .emplace(k, std::make_unique<BackwardWeights>(BackwardWeights{
                               pd, convolution_backward_weights(pd), Relayout(g.weights(), pd.diff_weights_desc())}))
               .first;
    }
    auto& bw = *it->second;
    std::unordered_map<int, memory> m{{DNNL_ARG_SRC, memory(g.src(), eng(), x)},
                                      {DNNL_ARG_DIFF_DST, memory(g.dst(), eng(), dy)},
                                      {DNNL_ARG_DIFF_WEIGHTS, bw.weights.target(df)}};
    if (hasBias) m.insert({DNNL_ARG_DIFF_BIAS, memory(g.bias(), eng(), db)});
    bw.prim.execute(strm(), m);
    bw.weights.out(df);
    strm().wait();
  } catch (const dnnl::error& e) {
    return fail(env, std::string("oneDNN convolution backward weights: ") + e.what());
  }
  return nullptr;
}

// Which oneDNN implementation a convolution geometry gets: for the bench and the README.
napi_value ConvInfo(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  Geometry g;
  if (a.v.size() != 1 || !geometry(env, a.v[0], &g)) return fail(env, "convInfo: geometry");
  std::string s;
  try {
    s = forwardPd(g, true, true).impl_info_str();
  } catch (const dnnl::error& e) {
    return fail(env, e.what());
  }
  napi_value out;
  napi_create_string_utf8(env, s.c_str(), s.size(), &out);
  return out;
}

// sgemm(transA, transB, m, n, k, a, b, c, batch): c[i] = op(a[i]) op(b[i]) for each of `batch`
// row-major matrices (a: m x k after op, b: k x n after op, c: m x n).
napi_value Sgemm(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  if (a.v.size() != 9) return fail(env, "sgemm: 9 arguments");
  bool ta = flag(env, a.v[0]), tb = flag(env, a.v[1]);
  int64_t m = num(env, a.v[2]), n = num(env, a.v[3]), k = num(env, a.v[4]), batch = num(env, a.v[8]);
  size_t la = 0, lb = 0, lc = 0;
  float* A = f32(env, a.v[5], &la);
  float* B = f32(env, a.v[6], &lb);
  float* C = f32(env, a.v[7], &lc);
  if (!A || !B || !C) return fail(env, "sgemm: Float32Arrays expected");
  int64_t sa = la / batch == static_cast<size_t>(m * k) ? m * k : 0;  // a broadcast when 1 matrix
  int64_t sb = lb / batch == static_cast<size_t>(k * n) ? k * n : 0;
  for (int64_t i = 0; i < batch; i++) {
    dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, A + i * sa, ta ? m : k,
                                  B + i * sb, tb ? k : n, 0.f, C + i * m * n, n);
    if (st != dnnl_success) return fail(env, "oneDNN sgemm failed");
  }
  return nullptr;
}

/** Pooling geometry: x [n,h,w,c], window kh x kw, strides, top/left padding, y [n,oh,ow,c]. */
struct Pool {
  int64_t n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow;
};
bool pool(napi_env env, napi_value v, Pool* p) {
  auto d = ints(env, v);
  if (d.size() != 12) return false;
  *p = {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11]};
  return true;
}

// maxPool(x, y, geometry): the max of each window (padding never wins), per channel.
napi_value MaxPool(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  Pool p;
  if (a.v.size() != 3 || !pool(env, a.v[2], &p)) return fail(env, "maxPool: 3 arguments");
  float* x = f32(env, a.v[0], nullptr);
  float* y = f32(env, a.v[1], nullptr);
  if (!x || !y) return fail(env, "maxPool: Float32Arrays expected");
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
  return nullptr;
}

// maxPoolGrad(dy, x, dx, geometry[, relu]): each window's gradient goes to its first maximum, as
// in TensorFlow; with relu, only where that maximum is above 0 (x being a relu's output, this is
// the relu's gradient too). dx must be zeroed by the caller's allocation.
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  Pool p;
  if ((a.v.size() != 4 && a.v.size() != 5) || !pool(env, a.v[3], &p)) return fail(env, "maxPoolGrad: 4 or 5 arguments");
  bool relu = a.v.size() == 5 && flag(env, a.v[4]);
  float* dy = f32(env, a.v[0], nullptr);
  float* x = f32(env, a.v[1], nullptr);
  float* dx = f32(env, a.v[2], nullptr);
  if (!dy || !x || !dx) return fail(env, "maxPoolGrad: Float32Arrays expected");
  if (p.kh == 2 && p.kw == 2 && p.sh == 2 && p.sw == 2 && p.pt == 0 && p.pl == 0 && p.oh == p.h / 2 &&
      p.ow == p.w / 2) {
    // The common 2x2 pool: windows tile the input, so each input gets its gradient or a zero in
    // one pass (no zero-fill first), channels innermost.
    const int64_t C = p.c;
#pragma omp parallel for if (p.n * p.h * p.w * p.c > 65536)
    for (int64_t b = 0; b < p.n; b++) {
      for (int64_t i = 0; i < p.oh; i++) {
        for (int64_t j = 0; j < p.ow; j++) {
          const int64_t r0 = ((b * p.h + 2 * i) * p.w + 2 * j) * C, r1 = r0 + C, r2 = r0 + p.w * C, r3 = r2 + C;
          const float* g = dy + ((b * p.oh + i) * p.ow + j) * C;
          for (int64_t ch = 0; ch < C; ch++) {
            float v0 = x[r0 + ch], v1 = x[r1 + ch], v2 = x[r2 + ch], v3 = x[r3 + ch];
            float m = v0;
            int k = 0;
            if (v1 > m) { m = v1; k = 1; }
            if (v2 > m) { m = v2; k = 2; }
            if (v3 > m) { m = v3; k = 3; }
            float gv = (!relu || m > 0.f) ? g[ch] : 0.f;
            dx[r0 + ch] = k == 0 ? gv : 0.f;
            dx[r1 + ch] = k == 1 ? gv : 0.f;
            dx[r2 + ch] = k == 2 ? gv : 0.f;
            dx[r3 + ch] = k == 3 ? gv : 0.f;
          }
        }
        // An odd width leaves a last column no window covers.
        if (p.w % 2)
          for (int64_t r = 2 * i; r < 2 * i + 2; r++)
            for (int64_t ch = 0; ch < C; ch++) dx[((b * p.h + r) * p.w + p.w - 1) * C + ch] = 0.f;
      }
      if (p.h % 2)
        for (int64_t q = 0; q < p.w * C; q++) dx[((b * p.h + p.h - 1) * p.w) * C + q] = 0.f;
    }
    return nullptr;
  }
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
  return nullptr;
}

// reluGrad(dy, y, dx): dx = y > 0 ? dy : 0.
napi_value ReluGrad(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  size_t n = 0;
  float* dy = f32(env, a.v[0], &n);
  float* y = f32(env, a.v[1], nullptr);
  float* dx = f32(env, a.v[2], nullptr);
  if (!dy || !y || !dx) return fail(env, "reluGrad: Float32Arrays expected");
#pragma omp parallel for simd if (n > 65536)
  for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
  return nullptr;
}

// biasAdd(x, bias, y, relu): y[r, c] = x[r, c] + bias[c] (then relu), rows of bias.length.
napi_value BiasAdd(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  size_t n = 0, c = 0;
  float* x = f32(env, a.v[0], &n);
  float* b = f32(env, a.v[1], &c);
  float* y = f32(env, a.v[2], nullptr);
  bool relu = a.v.size() > 3 && flag(env, a.v[3]);
  if (!x || !b || !y || c == 0) return fail(env, "biasAdd: Float32Arrays expected");
  size_t rows = n / c;
#pragma omp parallel for if (n > 65536)
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < c; j++) {
      float v = x[r * c + j] + b[j];
      y[r * c + j] = relu && v < 0.f ? 0.f : v;
    }
  return nullptr;
}

// sumRows(x, out): out[c] = sum over rows of x[r, c], rows of out.length.
napi_value SumRows(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  size_t n = 0, c = 0;
  float* x = f32(env, a.v[0], &n);
  float* out = f32(env, a.v[1], &c);
  if (!x || !out || c == 0) return fail(env, "sumRows: Float32Arrays expected");
  std::vector<double> acc(c, 0.0);
  for (size_t r = 0; r < n / c; r++)
    for (size_t j = 0; j < c; j++) acc[j] += x[r * c + j];
  for (size_t j = 0; j < c; j++) out[j] = static_cast<float>(acc[j]);
  return nullptr;
}

// binary(a, b, out, op, swapped): out = a op b, b repeating over a (b.length divides a.length);
// swapped: out = b op a. op: 0 add, 1 sub, 2 mul.
napi_value Binary(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  if (a.v.size() != 5) return fail(env, "binary: 5 arguments");
  size_t n = 0, m = 0;
  float* x = f32(env, a.v[0], &n);
  float* y = f32(env, a.v[1], &m);
  float* out = f32(env, a.v[2], nullptr);
  int64_t op = num(env, a.v[3]);
  bool swapped = flag(env, a.v[4]);
  if (!x || !y || !out || m == 0 || n % m != 0) return fail(env, "binary: Float32Arrays expected");
  auto run = [&](auto f) {
    if (m == 1) {
      float s = y[0];
#pragma omp parallel for simd if (n > 262144)
      for (size_t i = 0; i < n; i++) out[i] = swapped ? f(s, x[i]) : f(x[i], s);
    } else {
#pragma omp parallel for if (n > 262144)
      for (size_t r = 0; r < n / m; r++)
        for (size_t j = 0; j < m; j++) {
          size_t i = r * m + j;
          out[i] = swapped ? f(y[j], x[i]) : f(x[i], y[j]);
        }
    }
  };
  if (op == 0) run([](float p, float q) { return p + q; });
  else if (op == 1) run([](float p, float q) { return p - q; });
  else run([](float p, float q) { return p * q; });
  return nullptr;
}

napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  std::string s = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  napi_value out;
  napi_create_string_utf8(env, s.c_str(), s.size(), &out);
  return out;
}

napi_value Threads(napi_env env, napi_callback_info) {
  int t = 1;
#ifdef _OPENMP
  t = omp_get_max_threads();
#endif
  napi_value out;
  napi_create_int32(env, t, &out);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  struct Fn {
    const char* name;
    napi_callback cb;
  };
  for (Fn f : {Fn{"conv2d", Conv2d}, Fn{"conv2dBackwardData", Conv2dBackwardData},
               Fn{"conv2dBackwardFilter", Conv2dBackwardFilter}, Fn{"convInfo", ConvInfo}, Fn{"sgemm", Sgemm},
               Fn{"maxPool", MaxPool}, Fn{"maxPoolGrad", MaxPoolGrad}, Fn{"reluGrad", ReluGrad},
               Fn{"biasAdd", BiasAdd}, Fn{"binary", Binary}, Fn{"sumRows", SumRows}, Fn{"version", Version}, Fn{"threads", Threads}}) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}
