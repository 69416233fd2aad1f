// Heap allocations of a training step after the first: none by tfcompress.
// Trainer steps (noise inputs, forward, loss, backward, optimizer, moving
// statistics) on built models (a CNN with CONV_2D, MAX_POOL_2D,
// DEPTHWISE_CONV_2D, RELU6, AVERAGE_POOL_2D, FULLY_CONNECTED, SOFTMAX; a
// residual block with ADD + RELU6 and MUL / SUB by per-channel parameters; a
// text model with an embedding GATHER and MEAN; an MLP) and on committed
// Keras fixtures as `tfcompress train` imports them (sequential_cnn;
// dense_mlp with BatchNormalization, LayerNormalization, GELU and Dropout;
// conv2d_bn, MobileNet-style: depthwise and separable convolutions,
// training-mode BatchNormalization, ReLU6, pooling; residual_bn: Add,
// BatchNormalization on two axes, Concatenate; dropout_family: dropout and
// Gaussian noise inputs; text_embedding: Embedding, global average and max
// pooling, Concatenate), on the reference path and the oneDNN path with 1
// and 2 threads, SGD with momentum and Adam; and fit's per-step path (the
// loader's next batch with 0 and 2 background threads, its conversion into
// the model's inputs, the step).
//
// This file replaces the global operator new / delete (every variant) and
// interposes glibc's malloc family (malloc, calloc, realloc, posix_memalign,
// aligned_alloc, memalign) for the whole test binary; both forward to
// glibc's allocator and count only while an AllocationCounter is alive, on
// every thread. An allocation whose caller lies in oneDNN or its OpenMP
// runtime (libdnnl, libgomp: oneDNN's primitive execution builds its argument
// map each call) is counted apart and not asserted. glibc's own internal
// allocations (e.g. inside fopen) do not go through the interposed symbols.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "data/loader.h"
#include "data/source.h"
#include "importers/import.h"
#include "model_builder.h"
#include "test_util.h"
#include "train/fit.h"
#include "train/trainer.h"

namespace {

std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_news{0}, g_mallocs{0}, g_onednn{0};

// Whether `caller` (a return address) lies in oneDNN or its OpenMP runtime.
bool in_onednn(void* caller) {
  Dl_info info;
  if (dladdr(caller, &info) == 0 || !info.dli_fname) return false;
  return std::strstr(info.dli_fname, "libdnnl") || std::strstr(info.dli_fname, "libgomp");
}

// Counts one allocation made from `caller`: oneDNN's own apart.
inline void count(std::atomic<int64_t>& c, void* caller) {
  if (!g_counting.load(std::memory_order_relaxed)) return;
  if (in_onednn(caller)) {
    g_onednn.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  c.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);

void* malloc(size_t n) noexcept {
  count(g_mallocs, __builtin_return_address(0));
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) noexcept {
  count(g_mallocs, __builtin_return_address(0));
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) noexcept {
  count(g_mallocs, __builtin_return_address(0));
  return __libc_realloc(p, n);
}
int posix_memalign(void** out, size_t alignment, size_t n) noexcept {
  count(g_mallocs, __builtin_return_address(0));
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = __libc_memalign(alignment, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void* aligned_alloc(size_t alignment, size_t n) noexcept {
  count(g_mallocs, __builtin_return_address(0));
  return __libc_memalign(alignment, n);
}
void* memalign(size_t alignment, size_t n) noexcept {
  count(g_mallocs, __builtin_return_address(0));
  return __libc_memalign(alignment, n);
}
}  // extern "C"

namespace {

void* counted_new(size_t n, size_t alignment, bool nothrow, void* caller) {
  count(g_news, caller);
  if (n == 0) n = 1;
  void* p = alignment > alignof(std::max_align_t) ? __libc_memalign(alignment, n) : __libc_malloc(n);
  if (!p && !nothrow) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(size_t n) { return counted_new(n, 0, false, __builtin_return_address(0)); }
void* operator new[](size_t n) { return counted_new(n, 0, false, __builtin_return_address(0)); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return counted_new(n, 0, true, __builtin_return_address(0));
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return counted_new(n, 0, true, __builtin_return_address(0));
}
void* operator new(size_t n, std::align_val_t a) {
  return counted_new(n, static_cast<size_t>(a), false, __builtin_return_address(0));
}
void* operator new[](size_t n, std::align_val_t a) {
  return counted_new(n, static_cast<size_t>(a), false, __builtin_return_address(0));
}
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_new(n, static_cast<size_t>(a), true, __builtin_return_address(0));
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_new(n, static_cast<size_t>(a), true, __builtin_return_address(0));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace tfc::test {
namespace {

// Counts the allocations made (on any thread) while it is alive.
class AllocationCounter {
 public:
  AllocationCounter() {
    g_news = 0;
    g_mallocs = 0;
    g_onednn = 0;
    g_counting = true;
  }
  ~AllocationCounter() { g_counting = false; }
  int64_t news() const { return g_news.load(); }
  int64_t mallocs() const { return g_mallocs.load(); }
  int64_t onednn() const { return g_onednn.load(); }
};

TEST(TrainAllocCounter, CountsEveryKindOfAllocation) {
  int64_t news = 0, mallocs = 0;
  {
    AllocationCounter c;
    auto* v = new std::vector<int>(100);
    struct alignas(128) Wide {
      float x[32];
    };
    auto* w = new Wide;
    auto* n = new (std::nothrow) int[3];
    void* m = std::malloc(10);
    void* a = nullptr;
    const int rc = posix_memalign(&a, 64, 256);
    news = c.news();
    mallocs = c.mallocs();
    std::free(a);
    std::free(m);
    delete[] n;
    delete w;
    delete v;
    EXPECT_EQ(rc, 0);
  }
  EXPECT_EQ(news, 4);  // the vector, its buffer, the aligned struct, the array
  EXPECT_EQ(mallocs, 2);
}

// A model the trainer reads as a .tflite (no training state: its float
// weights and biases are the parameters), batch 4.
// cnn: x[4,8,8,3] -> CONV_2D 3x3 SAME +b RELU -> MAX_POOL 2x2/2 -> DEPTHWISE
//      3x3 SAME +b RELU6 -> CONV_2D 1x1 -> RELU6 -> AVERAGE_POOL 2x2/2 ->
//      FC[5,32] +b RELU -> FC[3,5] +b -> SOFTMAX
// residual: x[4,6,6,4] -> CONV_2D 3x3 SAME +b -> ADD x (RELU6) -> MUL by a
//      per-channel parameter -> SUB a per-channel parameter -> RELU6 -> FC[3,144] +b (logits)
// text: ids[4,6] (int32) -> GATHER from an embedding [20,8] -> MEAN over the
//      tokens -> FC[3,8] +b (logits)
// mlp: x[4,12] -> FC[16,12] +b RELU -> FC[8,16] +b RELU6 -> FC[3,8] +b (logits)
ir::TensorId fc(ModelBuilder& b, ir::TensorId in, const std::string& name, int32_t depth, int32_t units,
                tflite::ActivationFunctionType act, ir::TensorId out) {
  const auto w = b.weights(name + "/w", {units, depth}, static_cast<uint32_t>(units * 7 + depth));
  const auto bias = b.weights(name + "/b", {units}, static_cast<uint32_t>(units + depth));
  tflite::FullyConnectedOptionsT o;
  o.fused_activation_function = act;
  b.op(tflite::BuiltinOperator_FULLY_CONNECTED, {in, w, bias}, {out}).options.Set(std::move(o));
  return out;
}

tflite::Pool2DOptionsT pool_options() {
  tflite::Pool2DOptionsT o;
  o.padding = tflite::Padding_VALID;
  o.stride_h = o.stride_w = 2;
  o.filter_height = o.filter_width = 2;
  return o;
}

ir::Model cnn_model() {
  ModelBuilder b;
  const auto x = b.input("x", {4, 8, 8, 3});
  const auto c1 = b.tensor("c1", {4, 8, 8, 6});
  b.op(tflite::BuiltinOperator_CONV_2D, {x, b.weights("w1", {6, 3, 3, 3}, 1), b.weights("b1", {6}, 2)}, {c1})
      .options.Set(conv2d_options(tflite::Padding_SAME, 1, tflite::ActivationFunctionType_RELU));
  const auto p1 = b.tensor("p1", {4, 4, 4, 6});
  b.op(tflite::BuiltinOperator_MAX_POOL_2D, {c1}, {p1}).options.Set(pool_options());
  const auto d = b.tensor("d", {4, 4, 4, 6});
  tflite::DepthwiseConv2DOptionsT dw;
  dw.padding = tflite::Padding_SAME;
  dw.stride_h = dw.stride_w = 1;
  dw.depth_multiplier = 1;
  dw.fused_activation_function = tflite::ActivationFunctionType_RELU6;
  b.op(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, {p1, b.weights("wd", {1, 3, 3, 6}, 3), b.weights("bd", {6}, 4)},
       {d})
      .options.Set(std::move(dw));
  const auto c2 = b.tensor("c2", {4, 4, 4, 8});
  b.op(tflite::BuiltinOperator_CONV_2D, {d, b.weights("w2", {8, 1, 1, 6}, 5), ir::kNoTensor}, {c2})
      .options.Set(conv2d_options(tflite::Padding_VALID, 1, tflite::ActivationFunctionType_NONE));
  const auto c2r = b.tensor("c2r", {4, 4, 4, 8});
  b.op(tflite::BuiltinOperator_RELU6, {c2}, {c2r});
  const auto p2 = b.tensor("p2", {4, 2, 2, 8});
  b.op(tflite::BuiltinOperator_AVERAGE_POOL_2D, {c2r}, {p2}).options.Set(pool_options());
  const auto f = fc(b, p2, "fc1", 32, 5, tflite::ActivationFunctionType_RELU, b.tensor("f", {4, 5}));
  const auto logits = fc(b, f, "fc2", 5, 3, tflite::ActivationFunctionType_NONE, b.tensor("logits", {4, 3}));
  const auto y = b.output("y", {4, 3});
  tflite::SoftmaxOptionsT so;
  so.beta = 1.0f;
  b.op(tflite::BuiltinOperator_SOFTMAX, {logits}, {y}).options.Set(std::move(so));
  return std::move(b.m);
}

ir::Model residual_model() {
  ModelBuilder b;
  const auto x = b.input("x", {4, 6, 6, 4});
  const auto c = b.tensor("c", {4, 6, 6, 4});
  b.op(tflite::BuiltinOperator_CONV_2D, {x, b.weights("w", {4, 3, 3, 4}, 1), b.weights("b", {4}, 2)}, {c})
      .options.Set(conv2d_options(tflite::Padding_SAME, 1, tflite::ActivationFunctionType_NONE));
  const auto sum = b.tensor("sum", {4, 6, 6, 4});
  tflite::AddOptionsT add;
  add.fused_activation_function = tflite::ActivationFunctionType_RELU6;
  b.op(tflite::BuiltinOperator_ADD, {c, x}, {sum}).options.Set(std::move(add));
  const auto scaled = b.tensor("scaled", {4, 6, 6, 4});
  b.op(tflite::BuiltinOperator_MUL, {sum, b.weights("scale", {4}, 3)}, {scaled});
  const auto shifted = b.tensor("shifted", {4, 6, 6, 4});
  b.op(tflite::BuiltinOperator_SUB, {scaled, b.weights("shift", {4}, 4)}, {shifted});
  const auto r = b.tensor("r", {4, 6, 6, 4});
  b.op(tflite::BuiltinOperator_RELU6, {shifted}, {r});
  fc(b, r, "fc", 144, 3, tflite::ActivationFunctionType_NONE, b.output("y", {4, 3}));
  return std::move(b.m);
}

ir::Model text_model() {
  ModelBuilder b;
  const auto ids = b.input("ids", {4, 6}, DType::kInt32);
  const auto e = b.tensor("e", {4, 6, 8});
  b.op(tflite::BuiltinOperator_GATHER, {b.weights("embedding", {20, 8}, 1), ids}, {e})
      .options.Set(tflite::GatherOptionsT{});
  const auto m = b.tensor("m", {4, 8});
  b.op(tflite::BuiltinOperator_MEAN, {e, b.constant<int32_t>("axis", {1}, DType::kInt32, {1})}, {m})
      .options.Set(tflite::ReducerOptionsT{});
  fc(b, m, "fc", 8, 3, tflite::ActivationFunctionType_NONE, b.output("y", {4, 3}));
  return std::move(b.m);
}

ir::Model mlp_model() {
  ModelBuilder b;
  const auto x = b.input("x", {4, 12});
  const auto h1 = fc(b, x, "fc1", 12, 16, tflite::ActivationFunctionType_RELU, b.tensor("h1", {4, 16}));
  const auto h2 = fc(b, h1, "fc2", 16, 8, tflite::ActivationFunctionType_RELU6, b.tensor("h2", {4, 8}));
  fc(b, h2, "fc3", 8, 3, tflite::ActivationFunctionType_NONE, b.output("y", {4, 3}));
  return std::move(b.m);
}

struct Case {
  std::string model;  // "cnn", "residual", "text", "mlp" or "keras/NAME" (a committed fixture)
  bool fast;
  int threads;
  bool adam;  // else SGD with momentum
};

std::string case_name(const Case& c) {
  return c.model + (c.fast ? "_fast" : "_reference") + "_threads" + std::to_string(c.threads) +
         (c.adam ? "_adam" : "_sgd");
}
std::string param_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = case_name(info.param);
  std::replace(name.begin(), name.end(), '/', '_');
  return name;
}
void PrintTo(const Case& c, std::ostream* os) { *os << case_name(c); }

constexpr int64_t kBatch = 2;

Array random_input(const ir::Tensor& t, std::mt19937& rng) {
  Array a;
  a.dtype = t.dtype;
  a.shape.assign(t.shape.begin(), t.shape.end());
  a.data.resize(static_cast<size_t>(a.num_elements()) * dtype_size(t.dtype));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    if (t.dtype == DType::kFloat32) a.as<float>()[i] = u(rng);
    if (t.dtype == DType::kInt32) a.as<int32_t>()[i] = static_cast<int32_t>(rng() % 20);  // token ids
  }
  return a;
}

Array class_ids(int64_t rows, int64_t classes, std::mt19937& rng) {
  Array a;
  a.dtype = DType::kInt32;
  a.shape = {rows};
  a.data.resize(static_cast<size_t>(rows) * 4);
  for (int64_t i = 0; i < rows; ++i) a.as<int32_t>()[i] = static_cast<int32_t>(rng() % classes);
  return a;
}

struct TrainerSetup {
  importers::Imported imported;  // the model, and a Keras model's training state
  std::unique_ptr<train::Trainer> trainer;
};

// A built model, or "keras/NAME": fixtures/keras/NAME/model.keras as `tfcompress train` imports it.
void import_model(const std::string& name, TrainerSetup& s) {
  if (name.rfind("keras/", 0) != 0) {
    s.imported.model = name == "cnn"        ? cnn_model()
                       : name == "residual" ? residual_model()
                       : name == "text"     ? text_model()
                                            : mlp_model();
    return;
  }
  importers::ImportOptions io;
  io.training = true;
  auto imported = importers::import_model((fixtures_dir() / name / "model.keras").string(), io);
  ASSERT_TRUE(imported.has_value()) << imported.status().message();
  s.imported = std::move(*imported);
}

void make_trainer(const Case& c, TrainerSetup& s) {
  ASSERT_NO_FATAL_FAILURE(import_model(c.model, s));
  const bool keras = s.imported.format != importers::Format::kTflite;
  train::TrainerOptions to;
  to.batch = kBatch;
  to.seed = 3;
  to.loss.from_logits = c.model == "residual" || c.model == "text" || c.model == "mlp";
  to.executor.fast = c.fast;
  to.executor.threads = c.threads;
  train::OptimizerOptions oo;
  oo.kind = c.adam ? train::OptimizerKind::kAdam : train::OptimizerKind::kSgd;
  if (!c.adam) oo.momentum = 0.9;
  auto optimizer = train::make_optimizer(oo);
  ASSERT_TRUE(optimizer.has_value()) << optimizer.status().message();
  auto trainer =
      train::Trainer::create(s.imported.model, keras ? &s.imported.training : nullptr, to, std::move(*optimizer));
  ASSERT_TRUE(trainer.has_value()) << trainer.status().message();
  s.trainer = std::move(*trainer);
}

int64_t num_classes(const train::Trainer& t) {
  const ir::Subgraph& g = t.graph().model.subgraphs[0];
  return g.tensors[static_cast<size_t>(g.outputs[0])].shape.back();
}

class TrainAlloc : public ::testing::TestWithParam<Case> {};

TEST_P(TrainAlloc, NoAllocationPerStepAfterTheFirst) {
  const Case& c = GetParam();
  TrainerSetup s;
  ASSERT_NO_FATAL_FAILURE(make_trainer(c, s));
  train::Trainer& t = *s.trainer;
  std::mt19937 rng(11);
  std::vector<Array> inputs;
  for (const ir::Tensor* in : t.data_inputs()) inputs.push_back(random_input(*in, rng));
  const Array labels = class_ids(kBatch, num_classes(t), rng);
  for (int warm = 0; warm < 2; ++warm) {
    auto r = t.step(inputs, labels, 0.01);
    ASSERT_TRUE(r.has_value()) << r.status().message();
  }
  int64_t news = 0, mallocs = 0, onednn = 0;
  bool ok = true;
  {
    AllocationCounter counter;
    for (int k = 0; k < 3; ++k) ok = t.step(inputs, labels, 0.01).has_value() && ok;
    news = counter.news();
    mallocs = counter.mallocs();
    onednn = counter.onednn();
  }
  EXPECT_TRUE(ok);
  if (!c.fast) EXPECT_EQ(onednn, 0);
  RecordProperty("onednn_allocations", std::to_string(onednn));
  EXPECT_EQ(news, 0) << "operator new calls in 3 steps";
  EXPECT_EQ(mallocs, 0) << "malloc-family calls in 3 steps";
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const char* model : {"cnn", "residual", "text", "mlp", "keras/sequential_cnn", "keras/dense_mlp",
                            "keras/conv2d_bn", "keras/residual_bn", "keras/dropout_family",
                            "keras/text_embedding"}) {
    for (bool fast : {true, false}) {
      for (int threads : {1, 2}) {
        if (!fast && threads > 1) continue;  // the threads are oneDNN's
        for (bool adam : {false, true}) out.push_back({model, fast, threads, adam});
      }
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Models, TrainAlloc, ::testing::ValuesIn(cases()), param_name);

// fit's per-step path: the loader's next batch (background threads filling
// its ring of batches, or none), the batch converted into the model's inputs
// (train::model_inputs_into, reusing the previous step's arrays), the step.
class TrainAllocFit : public ::testing::TestWithParam<int> {};

TEST_P(TrainAllocFit, LoaderBatchesAndStepsAllocateNothingAfterTheFirst) {
  const int loader_threads = GetParam();
  TrainerSetup s;
  ASSERT_NO_FATAL_FAILURE(make_trainer({"cnn", true, 1, false}, s));
  train::Trainer& t = *s.trainer;
  std::mt19937 rng(5);
  constexpr int64_t kSamples = 12 * kBatch;
  DataArrays arrays;
  const ir::Tensor& image = *t.data_inputs()[0];
  ir::Tensor all = image;
  all.shape[0] = kSamples;
  // uint8 pixels, converted to float by x * scale + offset as fit does.
  Array pixels = random_input(all, rng);
  Array bytes;
  bytes.dtype = DType::kUInt8;
  bytes.shape = pixels.shape;
  bytes.data.resize(static_cast<size_t>(pixels.num_elements()));
  for (size_t i = 0; i < bytes.data.size(); ++i) bytes.data[i] = static_cast<uint8_t>(rng());
  arrays.inputs.push_back(std::move(bytes));
  arrays.labels = class_ids(kSamples, num_classes(t), rng);
  auto source = data::array_source(std::move(arrays));
  ASSERT_TRUE(source.has_value()) << source.status().message();
  data::LoaderOptions lo;
  lo.batch = kBatch;
  lo.threads = loader_threads;
  lo.drop_last = true;
  auto loader = data::Loader::create(std::shared_ptr<const data::Source>(std::move(*source)), lo);
  ASSERT_TRUE(loader.has_value()) << loader.status().message();
  const std::vector<const ir::Tensor*> model_inputs = t.data_inputs();
  (*loader)->start_epoch(0);
  data::Batch batch;
  std::vector<Array> in;
  auto step = [&]() -> bool {
    auto more = (*loader)->next(batch);
    if (!more.has_value() || !*more || !batch.labels) return false;
    if (!train::model_inputs_into(batch, model_inputs, 1.0f / 255, 0.0f, in).is_ok()) return false;
    return t.step(in, *batch.labels, 0.01).has_value();
  };
  // Every slot of the loader's ring (threads + prefetch) holds a full batch after these.
  for (int warm = 0; warm < 6; ++warm) ASSERT_TRUE(step());
  int64_t news = 0, mallocs = 0, onednn = 0;
  bool ok = true;
  {
    AllocationCounter counter;
    for (int k = 0; k < 5; ++k) ok = step() && ok;
    news = counter.news();
    mallocs = counter.mallocs();
    onednn = counter.onednn();
  }
  RecordProperty("onednn_allocations", std::to_string(onednn));
  EXPECT_TRUE(ok);
  EXPECT_EQ(news, 0) << "operator new calls in 5 steps";
  EXPECT_EQ(mallocs, 0) << "malloc-family calls in 5 steps";
}

INSTANTIATE_TEST_SUITE_P(LoaderThreads, TrainAllocFit, ::testing::Values(0, 2));

}  // namespace
}  // namespace tfc::test
