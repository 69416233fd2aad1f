// The fast kernels of data movement, reductions and SOFTMAX
// (runtime/fast/movement_kernels.cc, reduce_kernels.cc, softmax_kernel.cc)
// checked against the reference kernels: TRANSPOSE, SLICE, STRIDED_SLICE (negative strides, every
// mask), CONCATENATION, PACK, UNPACK, SPLIT, SPLIT_V, GATHER, RESHAPE /
// SQUEEZE / EXPAND_DIMS, MEAN / SUM / REDUCE_MAX / REDUCE_MIN over random
// axes, on random shapes (odd sizes, size-1 dims, negative axes), float32 /
// int8 / int16 (int32 for the reductions), 1-3 threads, every tenth case
// large enough to be split over the threads, either arithmetic; SOFTMAX
// float32 (within 1e-4 relative), int8 -> int8 / int16 and int16, LOG_SOFTMAX
// float32; float32 BATCH_MATMUL (adj_x, adj_y, broadcast batch dims; within
// 1e-4 relative). The outputs must be the reference's bytes (float32 softmax: within
// the tolerance) and the op must have taken the fast kernel.
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "model_builder.h"
#include "runtime/interpreter.h"
#include "test_util.h"

namespace tfc::runtime {
namespace {

using test::ModelBuilder;
using tflite::BuiltinOperator;

constexpr int kCases = 40;

int rand_int(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// Random bytes of a tensor's size (any dtype of 1, 2 or 4 bytes).
Array random_array(const ir::Shape& shape, DType dtype, std::mt19937& rng) {
  Array a{dtype, std::vector<int64_t>(shape.begin(), shape.end()), {}};
  a.data.resize(static_cast<size_t>(ir::num_elements(shape)) * dtype_size(dtype));
  for (auto& b : a.data) b = static_cast<uint8_t>(rng());
  if (dtype == DType::kFloat32)  // no NaN patterns: compare values as bytes
    for (int64_t k = 0; k < a.num_elements(); ++k) a.as<float>()[k] = static_cast<float>(rng() % 2001) / 7.0f - 99;
  return a;
}

DType random_dtype(std::mt19937& rng) {
  const DType types[] = {DType::kFloat32, DType::kInt8, DType::kInt16};
  return types[rand_int(rng, 0, 2)];
}

// A tensor of `dtype`, quantized (int8 / int16) as every other in the case.
ir::TensorId data_tensor(ModelBuilder& b, const std::string& name, DType dtype, bool input, bool output) {
  const ir::TensorId id = input ? b.input(name, {}, dtype) : output ? b.output(name, {}, dtype) : b.tensor(name, {}, dtype);
  if (dtype != DType::kFloat32)
    b.g().tensors[static_cast<size_t>(id)].quantization = test::quantization({0.05f}, {dtype == DType::kInt8 ? 3 : 0});
  return id;
}

struct Outcome {
  std::vector<Array> outputs;
  std::string kernel;
};

// Runs the one-op model; false when the interpreter refuses it.
bool run(ir::Model m, const std::vector<Array>& inputs, Kernels kernels, int threads,
         kernels::Requantization arithmetic, Outcome& out) {
  // The inputs' shapes are those of the values fed.
  for (size_t i = 0; i < inputs.size(); ++i) {
    ir::Tensor& t = m.subgraphs[0].tensors[static_cast<size_t>(m.subgraphs[0].inputs[i])];
    t.shape.assign(inputs[i].shape.begin(), inputs[i].shape.end());
  }
  auto interp = Interpreter::create(
      m, 0, {.kernels = kernels, .arithmetic = arithmetic, .threads = threads, .profile = true});
  if (!interp) return false;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!(*interp)->set_input(static_cast<int>(i), inputs[i]).is_ok()) return false;
  if (!(*interp)->invoke().is_ok()) return false;
  for (int k = 0; k < (*interp)->num_outputs(); ++k) out.outputs.push_back((*interp)->output(k));
  out.kernel = (*interp)->op_profile().at(0).kernel;
  return true;
}

// Counts the cases the reference accepted; each must give the same bytes on
// the fast kernel ("own").
struct Checker {
  std::string what;
  const char* library = "own";
  bool exact = true;  // else float32 within 1e-4 of max(1, |reference|)
  int tried = 0, checked = 0;
  void operator()(const ir::Model& m, const std::vector<Array>& inputs, int threads, const std::string& c,
                  kernels::Requantization arithmetic = kernels::Requantization::kFloat) {
    SCOPED_TRACE(what + " " + c + fmt::format(" threads {}", threads));
    ++tried;
    Outcome ref, fast;
    if (!run(m, inputs, Kernels::kReference, 1, arithmetic, ref)) return;  // a case the op refuses
    ASSERT_TRUE(run(m, inputs, Kernels::kFast, threads, arithmetic, fast));
    EXPECT_EQ(fast.kernel, library);
    ASSERT_EQ(fast.outputs.size(), ref.outputs.size());
    for (size_t k = 0; k < ref.outputs.size(); ++k) {
      EXPECT_EQ(fast.outputs[k].shape, ref.outputs[k].shape);
      ASSERT_EQ(fast.outputs[k].data.size(), ref.outputs[k].data.size());
      if (exact) {
        EXPECT_TRUE(fast.outputs[k].data == ref.outputs[k].data) << "output " << k;
        continue;
      }
      double worst = 0;
      for (int64_t e = 0; e < ref.outputs[k].num_elements(); ++e) {
        const double r = ref.outputs[k].as<float>()[e], f = fast.outputs[k].as<float>()[e];
        worst = std::max(worst, std::fabs(f - r) / std::max(1.0, std::fabs(r)));
      }
      EXPECT_LE(worst, 1e-4) << "output " << k;
    }
    ++checked;
  }
  // Most random cases must be valid: a test of refusals proves nothing.
  ~Checker() {
    std::cout << "[ checked   ] " << what << ": " << checked << " of " << tried << " random cases valid\n";
    EXPECT_GE(checked, tried * 3 / 5) << what;
  }
};

ir::Shape random_shape(std::mt19937& rng, int rank, bool big) {
  ir::Shape s;
  for (int d = 0; d < rank; ++d) s.push_back(big && d >= rank - 2 ? rand_int(rng, 60, 150) : rand_int(rng, 1, 7));
  return s;
}

std::vector<int32_t> ints(std::initializer_list<int> v) { return std::vector<int32_t>(v.begin(), v.end()); }

TEST(FastMovement, TransposeIsExactlyTheReference) {
  std::mt19937 rng(2001);
  Checker check{"TRANSPOSE"};
  for (int i = 0; i < kCases * 3 / 2; ++i) {
    const bool big = i % 10 == 0;
    const int rank = rand_int(rng, 1, big ? 4 : 6);
    ir::Shape shape = random_shape(rng, rank, big);
    if (i % 3 == 2)  // dims around the 16 x 16 tiles of movement_kernels.cc
      for (auto& d : shape) d = rand_int(rng, 5, rank > 3 ? 12 : 40);
    std::vector<int32_t> perm(static_cast<size_t>(rank));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    const DType t = random_dtype(rng);
    ModelBuilder b;
    const ir::TensorId x = data_tensor(b, "x", t, true, false);
    const ir::TensorId p = i % 2 ? b.constant("perm", {rank}, DType::kInt32, perm)
                                 : b.constant("perm", {rank}, DType::kInt64,
                                              std::vector<int64_t>(perm.begin(), perm.end()));
    b.op(BuiltinOperator::BuiltinOperator_TRANSPOSE, {x, p}, {data_tensor(b, "y", t, false, true)});
    check(b.m, {random_array(shape, t, rng)}, 1 + i % 3,
          fmt::format("{} [{}] perm [{}]", dtype_name(t), fmt::join(shape, ","), fmt::join(perm, ",")));
  }
}

TEST(FastMovement, SliceIsExactlyTheReference) {
  std::mt19937 rng(2002);
  Checker check{"SLICE"};
  for (int i = 0; i < kCases; ++i) {
    const bool big = i % 10 == 0;
    const int rank = rand_int(rng, 1, 5);
    const ir::Shape shape = random_shape(rng, rank, big);
    std::vector<int32_t> begin, size;
    for (int d = 0; d < rank; ++d) {
      begin.push_back(rand_int(rng, 0, shape[d] - 1));
      size.push_back(rand_int(rng, 0, 4) == 0 ? -1 : rand_int(rng, 0, shape[d] - begin.back()));
    }
    const DType t = random_dtype(rng);
    ModelBuilder b;
    const ir::TensorId x = data_tensor(b, "x", t, true, false);
    b.op(BuiltinOperator::BuiltinOperator_SLICE,
         {x, b.constant("begin", {rank}, DType::kInt32, begin), b.constant("size", {rank}, DType::kInt32, size)},
         {data_tensor(b, "y", t, false, true)});
    check(b.m, {random_array(shape, t, rng)}, 1 + i % 3,
          fmt::format("{} [{}] begin [{}] size [{}]", dtype_name(t), fmt::join(shape, ","), fmt::join(begin, ","),
                      fmt::join(size, ",")));
  }
}

TEST(FastMovement, StridedSliceIsExactlyTheReference) {
  std::mt19937 rng(2003);
  Checker check{"STRIDED_SLICE"};
  for (int i = 0; i < kCases * 2; ++i) {
    const bool big = i % 10 == 0;
    const int rank = rand_int(rng, 1, 5);
    const ir::Shape shape = random_shape(rng, rank, big);
    const int n = std::max(1, rank + rand_int(rng, -1, 1));
    std::vector<int32_t> begin, end, strides;
    for (int d = 0; d < n; ++d) {
      const int size = d < rank ? shape[d] : 3;
      int s = rand_int(rng, 1, 3) * (rand_int(rng, 0, 2) == 0 ? -1 : 1);
      begin.push_back(rand_int(rng, -size, size - 1));
      end.push_back(rand_int(rng, -size - 1, size + 1));
      strides.push_back(s);
    }
    tflite::StridedSliceOptionsT o;
    o.begin_mask = rand_int(rng, 0, 31) & rand_int(rng, 0, 31);
    o.end_mask = rand_int(rng, 0, 31) & rand_int(rng, 0, 31);
    if (i % 4 == 1) o.shrink_axis_mask = 1 << rand_int(rng, 0, n - 1);
    if (i % 6 == 2) o.new_axis_mask = 1 << rand_int(rng, 0, n - 1);
    if (i % 8 == 3) o.ellipsis_mask = 1 << rand_int(rng, 0, n - 1);
    if (i % 9 == 4) o.offset = true;
    const DType t = random_dtype(rng);
    ModelBuilder b;
    const ir::TensorId x = data_tensor(b, "x", t, true, false);
    ir::Op& op = b.op(BuiltinOperator::BuiltinOperator_STRIDED_SLICE,
                      {x, b.constant("begin", {n}, DType::kInt32, begin), b.constant("end", {n}, DType::kInt32, end),
                       b.constant("strides", {n}, DType::kInt32, strides)},
                      {data_tensor(b, "y", t, false, true)});
    op.options.Set(o);
    check(b.m, {random_array(shape, t, rng)}, 1 + i % 3,
          fmt::format("{} [{}] begin [{}] end [{}] strides [{}] masks {} {} {} {} {} offset {}", dtype_name(t),
                      fmt::join(shape, ","), fmt::join(begin, ","), fmt::join(end, ","), fmt::join(strides, ","),
                      o.begin_mask, o.end_mask, o.shrink_axis_mask, o.new_axis_mask, o.ellipsis_mask, o.offset));
  }
}

TEST(FastMovement, ConcatenationAndPackAreExactlyTheReference) {
  std::mt19937 rng(2004);
  Checker concat{"CONCATENATION"}, pack{"PACK"};
  for (int i = 0; i < kCases; ++i) {
    const bool big = i % 10 == 0;
    const int rank = rand_int(rng, 1, 4), count = rand_int(rng, 1, 4);
    const ir::Shape shape = random_shape(rng, rank, big);
    const bool is_pack = i % 2 == 1;
    const int axis = is_pack ? rand_int(rng, -rank - 1, rank) : rand_int(rng, -rank, rank - 1);
    const int a = axis < 0 ? axis + rank : axis;
    const DType t = random_dtype(rng);
    ModelBuilder b;
    std::vector<ir::TensorId> ins;
    std::vector<Array> values;
    for (int k = 0; k < count; ++k) {
      ir::Shape s = shape;
      if (!is_pack) s[static_cast<size_t>(a)] = rand_int(rng, k == 0 ? 1 : 0, big ? 40 : 5);
      ins.push_back(data_tensor(b, fmt::format("x{}", k), t, true, false));
      values.push_back(random_array(s, t, rng));
    }
    ir::Op& op = b.op(is_pack ? BuiltinOperator::BuiltinOperator_PACK : BuiltinOperator::BuiltinOperator_CONCATENATION,
                      ins, {data_tensor(b, "y", t, false, true)});
    if (is_pack) {
      tflite::PackOptionsT o;
      o.axis = axis;
      o.values_count = count;
      op.options.Set(o);
    } else {
      tflite::ConcatenationOptionsT o;
      o.axis = axis;
      op.options.Set(o);
    }
    (is_pack ? pack : concat)(b.m, values, 1 + i % 3,
                              fmt::format("{} {} x [{}] axis {}", dtype_name(t), count, fmt::join(shape, ","), axis));
  }
}

TEST(FastMovement, SplitsAndUnpackAreExactlyTheReference) {
  std::mt19937 rng(2005);
  Checker split{"SPLIT"}, split_v{"SPLIT_V"}, unpack{"UNPACK"};
  for (int i = 0; i < kCases * 3 / 2; ++i) {
    const bool big = i % 10 == 0;
    const int rank = rand_int(rng, 1, 4), kind = i % 3, count = rand_int(rng, 1, 4);
    ir::Shape shape = random_shape(rng, rank, big);
    const int axis = rand_int(rng, -rank, rank - 1), a = axis < 0 ? axis + rank : axis;
    const DType t = random_dtype(rng);
    ModelBuilder b;
    const ir::TensorId x = data_tensor(b, "x", t, true, false);
    std::vector<ir::TensorId> outs;
    for (int k = 0; k < count; ++k) outs.push_back(data_tensor(b, fmt::format("y{}", k), t, false, true));
    std::string c = fmt::format("{} axis {} outputs {}", dtype_name(t), axis, count);
    if (kind == 0) {
      shape[static_cast<size_t>(a)] = count * rand_int(rng, 1, 3);
      ir::Op& op = b.op(BuiltinOperator::BuiltinOperator_SPLIT,
                        {b.constant("axis", {}, DType::kInt32, ints({axis})), x}, outs);
      tflite::SplitOptionsT o;
      o.num_splits = count;
      op.options.Set(o);
    } else if (kind == 1) {
      std::vector<int32_t> sizes;
      int total = 0;
      for (int k = 0; k < count; ++k) total += sizes.emplace_back(rand_int(rng, 0, 4));
      if (i % 2) sizes[static_cast<size_t>(rand_int(rng, 0, count - 1))] = -1;
      shape[static_cast<size_t>(a)] = std::max(total, 1);
      ir::Op& op = b.op(BuiltinOperator::BuiltinOperator_SPLIT_V,
                        {x, b.constant("sizes", {count}, DType::kInt32, sizes),
                         b.constant("axis", {}, DType::kInt32, ints({axis}))},
                        outs);
      tflite::SplitVOptionsT o;
      o.num_splits = count;
      op.options.Set(o);
      c += fmt::format(" sizes [{}]", fmt::join(sizes, ","));
    } else {
      shape[static_cast<size_t>(a)] = count;
      ir::Op& op = b.op(BuiltinOperator::BuiltinOperator_UNPACK, {x}, outs);
      tflite::UnpackOptionsT o;
      o.num = count;
      o.axis = axis;
      op.options.Set(o);
    }
    Checker& check = kind == 0 ? split : kind == 1 ? split_v : unpack;
    check(b.m, {random_array(shape, t, rng)}, 1 + i % 3, c + fmt::format(" [{}]", fmt::join(shape, ",")));
  }
}

// Embedding lookups: rows of 16-528 bytes (whole 16-byte pieces up to 512
// copied inline, movement_kernels.cc copy_row), repeated indices, 1-3 threads.
TEST(FastMovement, EmbeddingGatherIsExactlyTheReference) {
  std::mt19937 rng(2013);
  Checker check{"GATHER, embedding rows"};
  const int widths[] = {16, 32, 64, 128, 132};
  for (int i = 0; i < 20; ++i) {
    const DType t = i % 2 ? DType::kFloat32 : DType::kInt8;
    const int width = widths[i / 2 % 5] / (t == DType::kFloat32 ? 4 : 1) + (i % 7 == 3 ? 1 : 0);
    const ir::Shape shape = {rand_int(rng, 5, 300), width};
    std::vector<int32_t> idx(static_cast<size_t>(rand_int(rng, 1, 300)));
    for (auto& v : idx) v = rand_int(rng, 0, static_cast<int>(shape[0]) - 1);
    ModelBuilder b;
    const ir::TensorId x = data_tensor(b, "x", t, true, false);
    const ir::TensorId ind = b.input("indices", {}, DType::kInt32);
    b.op(BuiltinOperator::BuiltinOperator_GATHER, {x, ind}, {data_tensor(b, "y", t, false, true)});
    Array indices{DType::kInt32, {1, static_cast<int64_t>(idx.size())}, {}};
    indices.data.resize(idx.size() * 4);
    std::memcpy(indices.data.data(), idx.data(), indices.data.size());
    check(b.m, {random_array(shape, t, rng), indices}, 1 + i % 3,
          fmt::format("{} [{}] {} indices", dtype_name(t), fmt::join(shape, ","), idx.size()));
  }
}

TEST(FastMovement, GatherIsExactlyTheReference) {
  std::mt19937 rng(2006);
  Checker check{"GATHER"};
  for (int i = 0; i < kCases; ++i) {
    const bool big = i % 10 == 0;
    const int rank = rand_int(rng, 1, 4);
    const ir::Shape shape = random_shape(rng, rank, big);
    const int axis = i % 3 == 0 ? 0 : rand_int(rng, -rank, rank - 1), a = axis < 0 ? axis + rank : axis;
    const int batch_dims = i % 4 == 1 ? rand_int(rng, 0, a) : 0;
    ir::Shape idx_shape(shape.begin(), shape.begin() + batch_dims);
    for (int d = rand_int(rng, 0, 2); d > 0; --d) idx_shape.push_back(rand_int(rng, 1, big ? 50 : 6));
    std::vector<int64_t> idx(static_cast<size_t>(ir::num_elements(idx_shape)));
    for (auto& v : idx) v = rand_int(rng, 0, shape[static_cast<size_t>(a)] - 1);
    const DType t = random_dtype(rng), it = i % 2 ? DType::kInt64 : DType::kInt32;
    ModelBuilder b;
    const ir::TensorId x = data_tensor(b, "x", t, true, false);
    const ir::TensorId ind = b.input("indices", {}, it);
    ir::Op& op = b.op(BuiltinOperator::BuiltinOperator_GATHER, {x, ind}, {data_tensor(b, "y", t, false, true)});
    tflite::GatherOptionsT o;
    o.axis = axis;
    o.batch_dims = batch_dims;
    op.options.Set(o);
    Array indices{it, std::vector<int64_t>(idx_shape.begin(), idx_shape.end()), {}};
    if (it == DType::kInt64) {
      indices.data.resize(idx.size() * 8);
      std::memcpy(indices.data.data(), idx.data(), indices.data.size());
    } else {
      std::vector<int32_t> narrow(idx.begin(), idx.end());
      indices.data.resize(idx.size() * 4);
      std::memcpy(indices.data.data(), narrow.data(), indices.data.size());
    }
    check(b.m, {random_array(shape, t, rng), indices}, 1 + i % 3,
          fmt::format("{} [{}] axis {} batch_dims {} indices [{}]", dtype_name(t), fmt::join(shape, ","), axis,
                      batch_dims, fmt::join(idx_shape, ",")));
  }
}

TEST(FastMovement, GatherOutOfRangeIsAnError) {
  ModelBuilder b;
  const ir::TensorId x = b.input("x", {3, 2}, DType::kFloat32);
  const ir::TensorId ind = b.input("indices", {1}, DType::kInt32);
  b.op(BuiltinOperator::BuiltinOperator_GATHER, {x, ind}, {b.output("y", {}, DType::kFloat32)});
  auto interp = Interpreter::create(b.m, 0, {.kernels = Kernels::kFast});
  ASSERT_TRUE(interp.has_value());
  Array table{DType::kFloat32, {3, 2}, std::vector<uint8_t>(24)};
  Array idx{DType::kInt32, {1}, std::vector<uint8_t>(4)};
  const int32_t bad = 3;
  std::memcpy(idx.data.data(), &bad, 4);
  ASSERT_TRUE((*interp)->set_input(0, table).is_ok());
  ASSERT_TRUE((*interp)->set_input(1, idx).is_ok());
  const Status s = (*interp)->invoke();
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("out of range"), std::string::npos) << s.message();
}

TEST(FastMovement, ReshapesAreExactlyTheReference) {
  std::mt19937 rng(2007);
  Checker check{"RESHAPE / SQUEEZE / EXPAND_DIMS"};
  for (int i = 0; i < kCases; ++i) {
    const bool big = i % 10 == 0;
    const ir::Shape shape = random_shape(rng, rand_int(rng, 1, 4), big);
    const DType t = random_dtype(rng);
    ModelBuilder b;
    const ir::TensorId x = data_tensor(b, "x", t, true, false), y = data_tensor(b, "y", t, false, true);
    const int kind = i % 3;
    if (kind == 0) {
      b.op(BuiltinOperator::BuiltinOperator_RESHAPE,
           {x, b.constant("shape", {2}, DType::kInt32, ints({-1, shape.back()}))}, {y});
    } else if (kind == 1) {
      b.op(BuiltinOperator::BuiltinOperator_SQUEEZE, {x}, {y});
    } else {
      b.op(BuiltinOperator::BuiltinOperator_EXPAND_DIMS,
           {x, b.constant("axis", {}, DType::kInt32, ints({-1}))}, {y});
    }
    check(b.m, {random_array(shape, t, rng)}, 1 + i % 3, fmt::format("{} [{}] kind {}", dtype_name(t),
                                                                       fmt::join(shape, ","), kind));
  }
}

// Random axes (negative, repeated) of ranks 1-5, keep_dims either way; the
// quantized MEAN / SUM rescale (input and output scales differ), MAX / MIN
// keep the input's; float32 inputs of MAX / MIN hold some NaN.
TEST(FastReduce, ReductionsAreExactlyTheReference) {
  std::mt19937 rng(2008);
  const BuiltinOperator ops[] = {BuiltinOperator::BuiltinOperator_MEAN, BuiltinOperator::BuiltinOperator_SUM,
                                 BuiltinOperator::BuiltinOperator_REDUCE_MAX,
                                 BuiltinOperator::BuiltinOperator_REDUCE_MIN};
  Checker check[4] = {{"MEAN"}, {"SUM"}, {"REDUCE_MAX"}, {"REDUCE_MIN"}};
  for (int i = 0; i < kCases * 4; ++i) {
    const int which = i % 4;
    const bool big = i / 4 % 10 == 0, extreme = which >= 2;
    const int rank = rand_int(rng, 1, 5);
    const ir::Shape shape = random_shape(rng, rank, big);
    std::vector<int32_t> axes;
    for (int k = rand_int(rng, 1, rank); k > 0; --k) axes.push_back(rand_int(rng, -rank, rank - 1));
    const DType t = i / 4 % 4 == 3 && which != 0 ? DType::kInt32 : random_dtype(rng);
    ModelBuilder b;
    const ir::TensorId x = b.input("x", {}, t), y = b.output("y", {}, t);
    if (t == DType::kInt8 || t == DType::kInt16) {
      const int64_t zp = t == DType::kInt8 ? rand_int(rng, -20, 20) : 0, out_zp = t == DType::kInt8 && !extreme ? 5 : zp;
      b.g().tensors[static_cast<size_t>(x)].quantization = test::quantization({0.05f}, {zp});
      b.g().tensors[static_cast<size_t>(y)].quantization = test::quantization({extreme ? 0.05f : 0.03f}, {out_zp});
    }
    tflite::ReducerOptionsT o;
    o.keep_dims = i % 3 == 0;
    b.op(ops[which], {x, b.constant("axes", {static_cast<int>(axes.size())}, DType::kInt32, axes)}, {y})
        .options.Set(o);
    Array input = random_array(shape, t, rng);
    if (t == DType::kFloat32 && extreme && i % 3 == 1)
      for (int64_t k = 0; k < input.num_elements(); k += 7) input.as<float>()[k] = NAN;
    const auto arithmetic = i % 5 == 2 ? kernels::Requantization::kFixedPoint : kernels::Requantization::kFloat;
    check[which](b.m, {input}, 1 + i % 3,
                 fmt::format("{} [{}] axes [{}] keep_dims {}{}", dtype_name(t), fmt::join(shape, ","),
                             fmt::join(axes, ","), o.keep_dims, i % 5 == 2 ? " fixed-point" : ""),
                 arithmetic);
  }
}

// float32 REDUCE_MAX / REDUCE_MIN over long inner runs (the SSE2 lanes):
// plain values, NaN in some rows, and rows of +0 / -0 ties with negatives,
// where the order of the fold shows in the result's sign.
TEST(FastReduce, Float32ExtremesKeepTheReferencesOrder) {
  std::mt19937 rng(2011);
  Checker check{"float32 REDUCE_MAX / REDUCE_MIN, long rows"};
  for (int i = 0; i < 24; ++i) {
    const ir::Shape shape = {rand_int(rng, 1, 4), rand_int(rng, 16, 70)};
    Array input = random_array(shape, DType::kFloat32, rng);
    float* v = input.as<float>();
    for (int64_t k = 0; k < input.num_elements(); ++k) {
      if (i % 3 == 1 && rng() % 11 == 0) v[k] = NAN;
      if (i % 3 == 2) v[k] = rng() % 2 ? (rng() % 2 ? 0.0f : -0.0f) : (i % 2 ? 1.0f : -1.0f) * (1 + rng() % 5);
    }
    ModelBuilder b;
    const ir::TensorId x = b.input("x", {}), y = b.output("y", {});
    b.op(i % 2 ? BuiltinOperator::BuiltinOperator_REDUCE_MIN : BuiltinOperator::BuiltinOperator_REDUCE_MAX,
         {x, b.constant("axes", {1}, DType::kInt32, ints({-1}))}, {y});
    check(b.m, {input}, 1, fmt::format("{} [{}] kind {}", i % 2 ? "min" : "max", fmt::join(shape, ","), i % 3));
  }
}

// The vector paths (AVX2): [outer, middle, inner] reduced over the middle,
// the outer or both (rows folded into a row of outputs) or the inner axis
// (long runs into one output), every element type, odd inner sizes around
// the vector widths, 1-3 threads; some large enough to be split (256 KiB); 8-bit
// inputs of all -128 / 255 (the int32 sums' largest), and int16 sums too
// long for int32 (the int64 path).
TEST(FastReduce, VectorRowsAndRunsAreExactlyTheReference) {
  std::mt19937 rng(2012);
  const BuiltinOperator ops[] = {BuiltinOperator::BuiltinOperator_MEAN, BuiltinOperator::BuiltinOperator_SUM,
                                 BuiltinOperator::BuiltinOperator_REDUCE_MAX,
                                 BuiltinOperator::BuiltinOperator_REDUCE_MIN};
  const DType types[] = {DType::kFloat32, DType::kInt8, DType::kUInt8, DType::kInt16, DType::kInt32};
  const std::vector<int32_t> axes_of[] = {{1}, {0}, {0, 1}, {2}};
  Checker check{"vector rows and runs"};
  for (int i = 0; i < 160; ++i) {
    const int which = i % 4;
    const DType t = types[i / 4 % 5];
    const bool big = i % 13 == 0, saturated = i % 11 == 5 && t != DType::kFloat32 && t != DType::kInt32;
    const std::vector<int32_t>& axes = axes_of[i / 20 % 4];
    ir::Shape shape = big ? ir::Shape{rand_int(rng, 5, 6), rand_int(rng, 900, 1200), rand_int(rng, 64, 70)}
                          : ir::Shape{rand_int(rng, 1, 5), rand_int(rng, 1, 70), rand_int(rng, 1, 70)};
    if (i % 20 == 13) shape = {1, 33000, 3};
    ModelBuilder b;
    const ir::TensorId x = b.input("x", {}, t), y = b.output("y", {}, t);
    if (t != DType::kFloat32 && t != DType::kInt32) {
      const int64_t zp = t == DType::kUInt8 ? 128 : t == DType::kInt8 ? -3 : 0;
      b.g().tensors[static_cast<size_t>(x)].quantization = test::quantization({0.05f}, {zp});
      b.g().tensors[static_cast<size_t>(y)].quantization = test::quantization({which >= 2 ? 0.05f : 0.07f}, {zp});
    }
    tflite::ReducerOptionsT o;
    o.keep_dims = i % 3 == 0;
    b.op(ops[which], {x, b.constant("axes", {static_cast<int>(axes.size())}, DType::kInt32, axes)}, {y})
        .options.Set(o);
    Array input = random_array(shape, t, rng);
    if (saturated) std::fill(input.data.begin(), input.data.end(), t == DType::kUInt8 ? 255 : 0x80);
    check(b.m, {input}, 1 + i % 3,
          fmt::format("{} [{}] axes [{}]{}", dtype_name(t), fmt::join(shape, ","), fmt::join(axes, ","),
                      saturated ? " saturated" : ""));
  }
}

// Rows of 1-1200 logits over -40..40 (one dominant logit in some), ranks 1-4.
TEST(FastSoftmax, SoftmaxMatchesTheReference) {
  std::mt19937 rng(2009);
  Checker soft{"float32 SOFTMAX", "onednn", false}, log_soft{"float32 LOG_SOFTMAX", "onednn", false};
  Checker int8{"int8 SOFTMAX"}, int16{"int8 -> int16 SOFTMAX"}, int16_16{"int16 SOFTMAX"};
  for (int i = 0; i < kCases * 5; ++i) {
    const int which = i % 5;
    const bool big = i / 5 % 10 == 0;
    ir::Shape shape = random_shape(rng, rand_int(rng, 1, 4), false);
    shape.back() = big ? rand_int(rng, 600, 1200) : rand_int(rng, 1, 40);
    const DType in_t = which < 2 ? DType::kFloat32 : which == 4 ? DType::kInt16 : DType::kInt8;
    const DType out_t = which < 2 ? DType::kFloat32 : which == 2 ? DType::kInt8 : DType::kInt16;
    ModelBuilder b;
    const ir::TensorId x = b.input("x", {}, in_t), y = b.output("y", {}, out_t);
    if (in_t == DType::kInt16) {
      b.g().tensors[static_cast<size_t>(x)].quantization = test::quantization({0.0005f * (1 + i % 7)}, {0});
      b.g().tensors[static_cast<size_t>(y)].quantization = test::quantization({1.0f / 32768}, {0});
    }
    if (in_t == DType::kInt8) {
      b.g().tensors[static_cast<size_t>(x)].quantization = test::quantization({0.02f + 0.01f * (i % 7)}, {i % 9});
      b.g().tensors[static_cast<size_t>(y)].quantization =
          out_t == DType::kInt8 ? test::quantization({1.0f / 256}, {-128}) : test::quantization({1.0f / 65536}, {-32768});
    }
    ir::Op& op = b.op(which == 1 ? BuiltinOperator::BuiltinOperator_LOG_SOFTMAX : BuiltinOperator::BuiltinOperator_SOFTMAX,
                      {x}, {y});
    if (which != 1) {
      tflite::SoftmaxOptionsT o;
      o.beta = which == 0 ? 1.0f : 0.5f + 0.25f * (i % 4);
      op.options.Set(o);
    }
    Array input = random_array(shape, in_t, rng);
    if (in_t == DType::kFloat32) {
      for (int64_t k = 0; k < input.num_elements(); ++k) input.as<float>()[k] *= 0.4f;
      if (i % 3 == 0) input.as<float>()[0] = 60;  // one logit dominates the first row
    }
    Checker& check = which == 0 ? soft : which == 1 ? log_soft : which == 2 ? int8 : which == 3 ? int16 : int16_16;
    check(b.m, {input}, 1 + i % 3, fmt::format("[{}]", fmt::join(shape, ",")));
  }
}

// Ranks 2-4 on either side (batch dims of 1 broadcast, missing ones too),
// M, K, N odd or 1, adj_x / adj_y, values in [-1, 1].
TEST(FastBatchMatmul, Float32MatchesTheReference) {
  std::mt19937 rng(2010);
  Checker check{"BATCH_MATMUL", "onednn", false};
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  for (int i = 0; i < kCases; ++i) {
    const bool big = i % 10 == 0, adj_x = i % 2 == 1, adj_y = i / 2 % 2 == 1;
    const int m = big ? rand_int(rng, 60, 130) : rand_int(rng, 1, 9), k = rand_int(rng, 1, big ? 200 : 40),
              n = big ? rand_int(rng, 60, 130) : rand_int(rng, 1, 9);
    const int batch_rank = rand_int(rng, 0, 2);
    ir::Shape lb, rb;
    for (int d = 0; d < batch_rank; ++d) {
      const int size = rand_int(rng, 1, 3), pick = rand_int(rng, 0, 2);
      lb.push_back(pick == 1 ? 1 : size);
      rb.push_back(pick == 2 ? 1 : size);
    }
    if (i % 5 == 4 && !rb.empty()) rb.erase(rb.begin());  // rhs of lower rank
    ir::Shape ls = lb, rs = rb;
    ls.insert(ls.end(), {adj_x ? k : m, adj_x ? m : k});
    rs.insert(rs.end(), {adj_y ? n : k, adj_y ? k : n});
    ModelBuilder b;
    const ir::TensorId x = b.input("x", {}), w = b.input("w", {});
    ir::Op& op = b.op(BuiltinOperator::BuiltinOperator_BATCH_MATMUL, {x, w}, {b.output("y", {})});
    tflite::BatchMatMulOptionsT o;
    o.adj_x = adj_x;
    o.adj_y = adj_y;
    op.options.Set(o);
    std::vector<Array> inputs;
    for (const ir::Shape& s : {ls, rs}) {
      Array a = random_array(s, DType::kFloat32, rng);
      for (int64_t e = 0; e < a.num_elements(); ++e) a.as<float>()[e] = unit(rng);
      inputs.push_back(std::move(a));
    }
    check(b.m, inputs, 1 + i % 3,
          fmt::format("[{}] x [{}] adj_x {} adj_y {}", fmt::join(ls, ","), fmt::join(rs, ","), adj_x, adj_y));
  }
}

}  // namespace
}  // namespace tfc::runtime
