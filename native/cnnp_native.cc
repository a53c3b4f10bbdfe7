// cnnp's native CPU kernels: oneDNN convolutions and GEMM, and plain loops for pooling and the
// small element-wise steps of a training step. Every function works in place on the Float32Arrays
// it is given (no copies); shapes are NHWC for images and HWIO for filters, as TensorFlow.js has them.
#include <node_api.h>
#include "net.h"
#include "ops.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

using cnnp::Geometry;
using cnnp::Pool;

namespace {

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

// geometry: [n,h,w,ci, kh,kw,co, sh,sw, pt,pl,pb,pr, oh,ow]
bool geometry(napi_env env, napi_value v, Geometry* g) {
  auto d = ints(env, v);
  if (d.size() != 15) return false;
  *g = {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14]};
  return true;
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
    cnnp::conv2d(g, x, f, b, y, flag(env, a.v[5]));
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
    cnnp::conv2dBackwardData(g, dy, f, dx);
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
    cnnp::conv2dBackwardFilter(g, x, dy, df, db);
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
    s = cnnp::convImplementation(g);
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
  for (int64_t i = 0; i < batch; i++)
    if (!cnnp::sgemm(ta, tb, m, n, k, A + i * sa, B + i * sb, C + i * m * n)) return fail(env, "oneDNN sgemm failed");
  return nullptr;
}

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
  cnnp::maxPool(p, x, y);
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
  cnnp::maxPoolGrad(p, dy, x, dx, relu);
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
  cnnp::reluGrad(dy, y, dx, n);
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
  cnnp::biasAdd(x, b, y, n, c, relu);
  return nullptr;
}

// sumRows(x, out): out[c] = sum over rows of x[r, c], rows of out.length.
napi_value SumRows(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  size_t n = 0, c = 0;
  float* x = f32(env, a.v[0], &n);
  float* out = f32(env, a.v[1], &c);
  if (!x || !out || c == 0) return fail(env, "sumRows: Float32Arrays expected");
  cnnp::sumRows(x, out, n, c);
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

template <typename T>
T* typed(napi_env env, napi_value v, napi_typedarray_type want, size_t* length) {
  napi_typedarray_type type;
  size_t len = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, nullptr, nullptr) != napi_ok || type != want)
    return nullptr;
  if (length) *length = len;
  return static_cast<T*>(data);
}

/** The Float32Arrays of a JS array (the weights, in layer order: kernel, bias). */
bool f32s(napi_env env, napi_value arr, std::vector<float*>* out, std::vector<size_t>* lengths = nullptr) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return false;
  out->resize(n);
  if (lengths) lengths->resize(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, arr, i, &e);
    size_t len = 0;
    if (!((*out)[i] = f32(env, e, &len))) return false;
    if (lengths) (*lengths)[i] = len;
  }
  return true;
}

/** What a net's JS handle holds: the net until netDestroy frees it (or the handle is collected). */
struct NetHandle {
  cnnp::Net* net;
};

void deleteNet(napi_env, void* data, void*) {
  auto* h = static_cast<NetHandle*>(data);
  delete h->net;
  delete h;
}

/** A layer's settings: the properties of the object the bridge describes it with. */
class ObjectSettings : public cnnp::Settings {
 public:
  ObjectSettings(napi_env env, napi_value object) : env_(env), object_(object) {}
  double number(const char* name) const override {
    double d = 0;
    if (napi_get_value_double(env_, property(name), &d) != napi_ok)
      throw std::invalid_argument(std::string("layer setting '") + name + "' is not a number");
    return d;
  }
  bool flag(const char* name) const override {
    bool b = false;
    napi_value v = property(name);
    napi_valuetype t;
    napi_typeof(env_, v, &t);
    if (t == napi_undefined) return false;
    if (napi_get_value_bool(env_, v, &b) != napi_ok)
      throw std::invalid_argument(std::string("layer setting '") + name + "' is not true or false");
    return b;
  }
  std::string text(const char* name) const {
    char buffer[64];
    size_t len = 0;
    if (napi_get_value_string_utf8(env_, property(name), buffer, sizeof buffer, &len) != napi_ok)
      throw std::invalid_argument(std::string("layer setting '") + name + "' is not text");
    return std::string(buffer, len);
  }

 private:
  napi_value property(const char* name) const {
    napi_value v;
    if (napi_get_named_property(env_, object_, name, &v) != napi_ok)
      throw std::invalid_argument(std::string("layer setting '") + name + "' is missing");
    return v;
  }
  napi_env env_;
  napi_value object_;
};

// netCreate(layers, input, classes, batch, slices): a network's training state. Each layer is an
// object naming its kind (native/layers/) and its settings (src/layers/<kind>.ts's `native`).
napi_value NetCreate(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  if (a.v.size() != 5) return fail(env, "netCreate: 5 arguments");
  bool isArray = false;
  napi_is_array(env, a.v[0], &isArray);
  if (!isArray) return fail(env, "netCreate: an array of layers expected");
  uint32_t count = 0;
  napi_get_array_length(env, a.v[0], &count);
  NetHandle* h = nullptr;
  try {
    std::vector<std::unique_ptr<cnnp::Layer>> layers;
    for (uint32_t i = 0; i < count; i++) {
      napi_value e;
      napi_get_element(env, a.v[0], i, &e);
      const ObjectSettings s(env, e);
      layers.push_back(cnnp::makeLayer(s.text("kind"), s));
    }
    const int64_t slices = num(env, a.v[4]);
    if (slices < 1 || slices > 1024) return fail(env, "netCreate: slices out of range");
    h = new NetHandle{new cnnp::Net(std::move(layers), num(env, a.v[1]), num(env, a.v[2]), num(env, a.v[3]),
                                    static_cast<int>(slices))};
  } catch (const std::exception& e) {
    return fail(env, std::string("netCreate: ") + e.what());
  }
  napi_value out;
  napi_create_external(env, h, deleteNet, nullptr, &out);
  return out;
}

cnnp::Net* netOf(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return nullptr;
  void* p = nullptr;
  napi_get_value_external(env, v, &p);
  return p ? static_cast<NetHandle*>(p)->net : nullptr;
}

// netDestroy(net): frees the net's buffers now (its activations at the evaluation batch are tens
// of megabytes, which V8 does not see); the handle is unusable afterwards.
napi_value NetDestroy(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  napi_valuetype t;
  if (a.v.size() != 1 || napi_typeof(env, a.v[0], &t) != napi_ok || t != napi_external)
    return fail(env, "netDestroy: a net expected");
  void* p = nullptr;
  napi_get_value_external(env, a.v[0], &p);
  auto* h = static_cast<NetHandle*>(p);
  delete h->net;
  h->net = nullptr;
  return nullptr;
}

// netStep(net, images Uint8Array, labels Uint8Array, items Int32Array, weights, learningRate,
// momentum, rng Uint32Array(4), out Float64Array(2)): out = [mean loss, correct predictions].
napi_value NetStep(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  if (a.v.size() != 9) return fail(env, "netStep: 9 arguments");
  cnnp::Net* net = netOf(env, a.v[0]);
  size_t n = 0, rngLen = 0, outLen = 0, imageLen = 0, labelLen = 0;
  auto* images = typed<uint8_t>(env, a.v[1], napi_uint8_array, &imageLen);
  auto* labels = typed<uint8_t>(env, a.v[2], napi_uint8_array, &labelLen);
  auto* items = typed<int32_t>(env, a.v[3], napi_int32_array, &n);
  auto* rng = typed<uint32_t>(env, a.v[7], napi_uint32_array, &rngLen);
  auto* out = typed<double>(env, a.v[8], napi_float64_array, &outLen);
  std::vector<float*> w;
  std::vector<size_t> lengths;
  if (!net || !images || !labels || !items || !rng || rngLen != 4 || !out || outLen != 2 ||
      !f32s(env, a.v[4], &w, &lengths) || !net->fits(lengths))
    return fail(env, "netStep: bad arguments");
  // Every item must be an image and a label of the arrays given.
  for (size_t i = 0; i < n; i++)
    if (items[i] < 0 || static_cast<size_t>(items[i]) >= labelLen ||
        (static_cast<size_t>(items[i]) + 1) * static_cast<size_t>(net->input()) > imageLen)
      return fail(env, "netStep: an item outside the images");
  double lr = 0, momentum = 0;
  napi_get_value_double(env, a.v[5], &lr);
  napi_get_value_double(env, a.v[6], &momentum);
  try {
    auto r = net->step(images, labels, items, static_cast<int64_t>(n), w, static_cast<float>(lr),
                       static_cast<float>(momentum), rng);
    out[0] = r.loss;
    out[1] = static_cast<double>(r.correct);
  } catch (const std::exception& e) {
    return fail(env, std::string("native training step: ") + e.what());
  }
  return nullptr;
}

// netInfer(net, images Uint8Array, first, n, weights, out Float32Array): the logits of images
// first..first+n, without dropout.
napi_value NetInfer(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  if (a.v.size() != 6) return fail(env, "netInfer: 6 arguments");
  cnnp::Net* net = netOf(env, a.v[0]);
  size_t imageLen = 0, outLen = 0;
  auto* images = typed<uint8_t>(env, a.v[1], napi_uint8_array, &imageLen);
  float* out = f32(env, a.v[5], &outLen);
  std::vector<float*> w;
  std::vector<size_t> lengths;
  if (!net || !images || !out || !f32s(env, a.v[4], &w, &lengths) || !net->fits(lengths))
    return fail(env, "netInfer: bad arguments");
  const int64_t first = num(env, a.v[2]), count = num(env, a.v[3]);
  if (first < 0 || count < 0 || static_cast<size_t>((first + count) * net->input()) > imageLen ||
      static_cast<size_t>(count * net->classes()) > outLen)
    return fail(env, "netInfer: images or output outside the arrays");
  try {
    net->infer(images, first, count, w, out);
  } catch (const std::exception& e) {
    return fail(env, std::string("native inference: ") + e.what());
  }
  return nullptr;
}

// netProfile(net): seconds spent by phase over all steps so far (net.h's Phase order).
napi_value NetProfile(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  cnnp::Net* net = a.v.size() == 1 ? netOf(env, a.v[0]) : nullptr;
  if (!net) return fail(env, "netProfile: a net expected");
  napi_value buffer, out;
  void* data = nullptr;
  napi_create_arraybuffer(env, cnnp::Phases * sizeof(double), &data, &buffer);
  std::memcpy(data, net->profile(), cnnp::Phases * sizeof(double));
  napi_create_typedarray(env, napi_float64_array, cnnp::Phases, buffer, 0, &out);
  return out;
}

// netVelocity(net, arrays Float32Array[], write): momentum's velocity of each trained array copied
// into the arrays, or (write true) from them: what a run that continues later keeps.
napi_value NetVelocity(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  if (a.v.size() != 3) return fail(env, "netVelocity: 3 arguments");
  cnnp::Net* net = netOf(env, a.v[0]);
  std::vector<float*> arrays;
  std::vector<size_t> lengths;
  bool write = false;
  if (!net || !f32s(env, a.v[1], &arrays, &lengths) || napi_get_value_bool(env, a.v[2], &write) != napi_ok)
    return fail(env, "netVelocity: bad arguments");
  auto& velocity = net->velocity();
  if (arrays.size() != velocity.size()) return fail(env, "netVelocity: one array per trained array expected");
  for (size_t j = 0; j < arrays.size(); j++) {
    if (lengths[j] != velocity[j].size()) return fail(env, "netVelocity: an array of the wrong length");
    if (write)
      std::copy(arrays[j], arrays[j] + lengths[j], velocity[j].begin());
    else
      std::copy(velocity[j].begin(), velocity[j].end(), arrays[j]);
  }
  return nullptr;
}

// netSlices(net): how many slices of a batch its steps train at once (1 with batch statistics).
napi_value NetSlices(napi_env env, napi_callback_info info) {
  auto a = args(env, info);
  cnnp::Net* net = a.v.size() == 1 ? netOf(env, a.v[0]) : nullptr;
  if (!net) return fail(env, "netSlices: a net expected");
  napi_value out;
  napi_create_int32(env, net->slices(), &out);
  return out;
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
               Fn{"biasAdd", BiasAdd}, Fn{"binary", Binary}, Fn{"sumRows", SumRows}, Fn{"netCreate", NetCreate}, Fn{"netStep", NetStep}, Fn{"netInfer", NetInfer}, Fn{"netProfile", NetProfile}, Fn{"netSlices", NetSlices}, Fn{"netVelocity", NetVelocity}, Fn{"netDestroy", NetDestroy},
               Fn{"version", Version}, Fn{"threads", Threads}}) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}
