// Tests of the misc family (ops/data_ops.cc, compare_ops.cc and math_ops.cc
// over kernels/data_ref, compare_ref and math_ref): output shapes, values against hand-worked cases or
// naive formulas written here, dtype handling, LiteRT's edge-case rules, and
// the shape rules' errors.
// Not here: end-to-end comparison with LiteRT (done on converted models).
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/compare_ref.h"
#include "kernels/data_ref.h"
#include "kernels/math_ref.h"
#include "ops/registry.h"
#include "op_harness.h"

namespace tfc::ops {
namespace {

using ir::Shape;

using namespace test;  // op_harness.h: OpHarness, iota_f, expect_near, expect_error, reducer

std::vector<int32_t> iota_i(size_t n, int32_t start = 0) {
  std::vector<int32_t> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

// Scattered test values: x_i = sin(1.7 i + 0.3) * scale.
std::vector<float> wave(size_t n, float scale = 3.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(std::sin(1.7 * i + 0.3) * scale);
  return v;
}

// ---- Registry -----------------------------------------------------------------

TEST(MiscOpsTest, EveryMiscOpIsRegistered) {
  const tflite::BuiltinOperator ops[] = {
      tflite::BuiltinOperator_SHAPE,         tflite::BuiltinOperator_PACK,
      tflite::BuiltinOperator_UNPACK,        tflite::BuiltinOperator_CAST,
      tflite::BuiltinOperator_ARG_MAX,       tflite::BuiltinOperator_ARG_MIN,
      tflite::BuiltinOperator_REDUCE_MAX,    tflite::BuiltinOperator_REDUCE_MIN,
      tflite::BuiltinOperator_REDUCE_PROD,   tflite::BuiltinOperator_SPLIT_V,
      tflite::BuiltinOperator_TILE,          tflite::BuiltinOperator_MIRROR_PAD,
      tflite::BuiltinOperator_GATHER_ND,     tflite::BuiltinOperator_FILL,
      tflite::BuiltinOperator_BROADCAST_TO,  tflite::BuiltinOperator_ZEROS_LIKE,
      tflite::BuiltinOperator_RANGE,         tflite::BuiltinOperator_SELECT,
      tflite::BuiltinOperator_SELECT_V2,     tflite::BuiltinOperator_LESS,
      tflite::BuiltinOperator_LESS_EQUAL,    tflite::BuiltinOperator_GREATER,
      tflite::BuiltinOperator_GREATER_EQUAL, tflite::BuiltinOperator_EQUAL,
      tflite::BuiltinOperator_NOT_EQUAL,     tflite::BuiltinOperator_LOGICAL_AND,
      tflite::BuiltinOperator_LOGICAL_OR,    tflite::BuiltinOperator_LOGICAL_NOT,
      tflite::BuiltinOperator_ABS,           tflite::BuiltinOperator_NEG,
      tflite::BuiltinOperator_SQUARE,        tflite::BuiltinOperator_LOG,
      tflite::BuiltinOperator_POW,           tflite::BuiltinOperator_FLOOR,
      tflite::BuiltinOperator_CEIL,          tflite::BuiltinOperator_ROUND,
      tflite::BuiltinOperator_SIGN,          tflite::BuiltinOperator_SIN,
      tflite::BuiltinOperator_COS,           tflite::BuiltinOperator_ELU,
      tflite::BuiltinOperator_FLOOR_DIV,     tflite::BuiltinOperator_FLOOR_MOD,
      tflite::BuiltinOperator_ADD_N,         tflite::BuiltinOperator_L2_NORMALIZATION,
      tflite::BuiltinOperator_SPACE_TO_BATCH_ND, tflite::BuiltinOperator_BATCH_TO_SPACE_ND,
      tflite::BuiltinOperator_CUMSUM,        tflite::BuiltinOperator_REVERSE_V2,
      tflite::BuiltinOperator_TOPK_V2,
  };
  for (auto op : ops) EXPECT_NE(find_op(op), nullptr) << tflite::EnumNameBuiltinOperator(op);
}

// ---- SHAPE ------------------------------------------------------------------------

TEST(MiscOpsTest, ShapeGivesDimsAsInt32OrInt64) {
  for (DType t : {DType::kInt32, DType::kInt64}) {
    OpHarness h(tflite::BuiltinOperator_SHAPE);
    tflite::ShapeOptionsT o;
    o.out_type = static_cast<tflite::TensorType>(t);
    h.unknown(DType::kFloat32, {2, 7, 5}).output(t).options(o);
    ASSERT_OK(h.run(shape_of_shape, shape_of_eval));  // needs only the input's shape
    EXPECT_EQ(h.out_shape(), (Shape{3}));
    if (t == DType::kInt32) EXPECT_EQ(h.out<int32_t>(), (std::vector<int32_t>{2, 7, 5}));
    if (t == DType::kInt64) EXPECT_EQ(h.out<int64_t>(), (std::vector<int64_t>{2, 7, 5}));
  }
}

TEST(MiscOpsTest, ShapeOfScalarIsEmptyVector) {
  OpHarness h(tflite::BuiltinOperator_SHAPE);
  h.f32({}, {1.0f}).output(DType::kInt32);
  ASSERT_OK(h.run(shape_of_shape, shape_of_eval));
  EXPECT_EQ(h.out_shape(), (Shape{0}));
}

TEST(MiscOpsTest, ShapeRejectsOutTypeMismatchAndFloatOutput) {
  OpHarness h(tflite::BuiltinOperator_SHAPE);
  tflite::ShapeOptionsT o;
  o.out_type = tflite::TensorType_INT64;
  h.f32({2}, {1, 2}).output(DType::kInt32).options(o);
  expect_error(h.shape(shape_of_shape), "out_type INT64");
  OpHarness f(tflite::BuiltinOperator_SHAPE);
  f.f32({2}, {1, 2}).output(DType::kFloat32);
  expect_error(f.shape(shape_of_shape), "int32 or int64");
}

// ---- PACK / UNPACK -------------------------------------------------------------------

TEST(MiscOpsTest, PackAlongMiddleAxisMatchesNaiveStack) {
  const std::vector<float> a = iota_f(6), b = iota_f(6, 100.0f);  // (2, 3) each
  OpHarness h(tflite::BuiltinOperator_PACK);
  tflite::PackOptionsT o;
  o.values_count = 2;
  o.axis = 1;
  h.f32({2, 3}, a).f32({2, 3}, b).output(DType::kFloat32).options(o);
  ASSERT_OK(h.run(pack_shape, pack_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 2, 3}));
  std::vector<double> want;
  for (int i = 0; i < 2; ++i) {
    for (int k = 0; k < 2; ++k) {
      for (int j = 0; j < 3; ++j) want.push_back((k == 0 ? a : b)[i * 3 + j]);
    }
  }
  expect_near(h.out<float>(), want);
}

TEST(MiscOpsTest, PackScalarsAsKerasFlattenDoes) {
  OpHarness h(tflite::BuiltinOperator_PACK);
  tflite::PackOptionsT o;
  o.values_count = 2;
  h.i32({}, {4}).i32({}, {-1}).output(DType::kInt32).options(o);
  ASSERT_OK(h.run(pack_shape, pack_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2}));
  EXPECT_EQ(h.out<int32_t>(), (std::vector<int32_t>{4, -1}));
}

TEST(MiscOpsTest, PackNegativeAxisIsLastNewAxis) {
  OpHarness h(tflite::BuiltinOperator_PACK);
  tflite::PackOptionsT o;
  o.values_count = 2;
  o.axis = -1;
  h.i64({2}, {1, 2}).i64({2}, {3, 4}).output(DType::kInt64).options(o);
  ASSERT_OK(h.run(pack_shape, pack_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 2}));
  EXPECT_EQ(h.out<int64_t>(), (std::vector<int64_t>{1, 3, 2, 4}));
}

TEST(MiscOpsTest, PackRejectsCountShapeAndQuantizationMismatches) {
  tflite::PackOptionsT o;
  o.values_count = 3;
  OpHarness count(tflite::BuiltinOperator_PACK);
  count.f32({2}, {1, 2}).f32({2}, {3, 4}).output(DType::kFloat32).options(o);
  expect_error(count.shape(pack_shape), "values_count 3");
  o.values_count = 2;
  OpHarness shape(tflite::BuiltinOperator_PACK);
  shape.f32({2}, {1, 2}).f32({3}, {3, 4, 5}).output(DType::kFloat32).options(o);
  expect_error(shape.shape(pack_shape), "has shape [3]");
  OpHarness quant(tflite::BuiltinOperator_PACK);
  quant.input<int8_t>(DType::kInt8, {1}, {1}).quantized(0.5f, 0);
  quant.input<int8_t>(DType::kInt8, {1}, {1}).quantized(0.25f, 0);
  quant.output(DType::kInt8).quantized(0.5f, 0).options(o);
  EXPECT_EQ(quant.shape(pack_shape).code(), StatusCode::kUnsupported);
}

TEST(MiscOpsTest, UnpackSplitsAlongAxis) {
  OpHarness h(tflite::BuiltinOperator_UNPACK);
  tflite::UnpackOptionsT o;
  o.num = 3;
  o.axis = 1;
  h.i32({2, 3}, iota_i(6)).output(DType::kInt32).output(DType::kInt32).output(DType::kInt32).options(o);
  ASSERT_OK(h.run(unpack_shape, unpack_eval));
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(h.out_shape(k), (Shape{2}));
    EXPECT_EQ(h.out<int32_t>(k), (std::vector<int32_t>{k, 3 + k}));
  }
}

TEST(MiscOpsTest, UnpackRejectsNumNotMatchingDim) {
  OpHarness h(tflite::BuiltinOperator_UNPACK);
  tflite::UnpackOptionsT o;
  o.num = 2;
  h.f32({3, 2}, iota_f(6)).output(DType::kFloat32).output(DType::kFloat32).options(o);
  expect_error(h.shape(unpack_shape), "dim 0 of the input is 3");
}

// ---- CAST ------------------------------------------------------------------------------

TEST(MiscOpsTest, CastFloatToInt32TruncatesAndSaturates) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  OpHarness h(tflite::BuiltinOperator_CAST);
  h.f32({7}, {1.9f, -1.9f, 3e9f, -3e9f, nan, 0.5f, -0.0f}).output(DType::kInt32);
  ASSERT_OK(h.run(cast_shape, cast_eval));
  const int32_t max = std::numeric_limits<int32_t>::max(), min = std::numeric_limits<int32_t>::min();
  EXPECT_EQ(h.out<int32_t>(), (std::vector<int32_t>{1, -1, max, min, max, 0, 0}));
}

TEST(MiscOpsTest, CastFloatToNarrowIntegers) {
  const std::vector<float> x = {300.7f, -5.5f, 200.9f, 40000.0f, -40000.0f};
  OpHarness u8(tflite::BuiltinOperator_CAST);
  u8.f32({5}, x).output(DType::kUInt8);
  ASSERT_OK(u8.run(cast_shape, cast_eval));
  EXPECT_EQ(u8.out<uint8_t>(), (std::vector<uint8_t>{255, 0, 200, 255, 0}));  // clamped
  OpHarness i16(tflite::BuiltinOperator_CAST);
  i16.f32({5}, x).output(DType::kInt16);
  ASSERT_OK(i16.run(cast_shape, cast_eval));
  EXPECT_EQ(i16.out<int16_t>(), (std::vector<int16_t>{300, -5, 200, 32767, -32768}));  // clamped
  OpHarness i8(tflite::BuiltinOperator_CAST);
  i8.f32({5}, x).output(DType::kInt8);
  ASSERT_OK(i8.run(cast_shape, cast_eval));
  EXPECT_EQ(i8.out<int8_t>(), (std::vector<int8_t>{127, -5, 127, 127, -128}));  // saturated
}

TEST(MiscOpsTest, CastNaNAndInfinityToIntegersGiveSaturatedValues) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  OpHarness i64(tflite::BuiltinOperator_CAST);
  i64.f32({4}, {nan, inf, -inf, 1e20f}).output(DType::kInt64);
  ASSERT_OK(i64.run(cast_shape, cast_eval));
  const int64_t max = std::numeric_limits<int64_t>::max(), min = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(i64.out<int64_t>(), (std::vector<int64_t>{max, max, min, max}));
  OpHarness u8(tflite::BuiltinOperator_CAST);
  u8.f32({3}, {nan, -inf, 255.9f}).output(DType::kUInt8);
  ASSERT_OK(u8.run(cast_shape, cast_eval));
  EXPECT_EQ(u8.out<uint8_t>(), (std::vector<uint8_t>{255, 0, 255}));
  OpHarness b(tflite::BuiltinOperator_CAST);
  b.f32({3}, {nan, -0.0f, 0.1f}).output(DType::kBool);
  ASSERT_OK(b.run(cast_shape, cast_eval));
  EXPECT_EQ(b.out<uint8_t>(), (std::vector<uint8_t>{1, 0, 1}));
}

TEST(MiscOpsTest, CastBetweenIntegersAndBool) {
  OpHarness to_bool(tflite::BuiltinOperator_CAST);
  to_bool.i32({4}, {0, 5, -1, 0}).output(DType::kBool);
  ASSERT_OK(to_bool.run(cast_shape, cast_eval));
  EXPECT_EQ(to_bool.out<uint8_t>(), (std::vector<uint8_t>{0, 1, 1, 0}));

  OpHarness from_bool(tflite::BuiltinOperator_CAST);
  from_bool.b8({3}, {1, 0, 1}).output(DType::kFloat32);
  ASSERT_OK(from_bool.run(cast_shape, cast_eval));
  expect_near(from_bool.out<float>(), {1, 0, 1});

  OpHarness narrow(tflite::BuiltinOperator_CAST);
  narrow.i64({3}, {(int64_t{1} << 32) + 7, -1, 1234567890123}).output(DType::kInt32);
  ASSERT_OK(narrow.run(cast_shape, cast_eval));
  EXPECT_EQ(narrow.out<int32_t>(), (std::vector<int32_t>{7, -1, static_cast<int32_t>(1234567890123 % (int64_t{1} << 32))}));

  OpHarness widen(tflite::BuiltinOperator_CAST);
  widen.input<uint8_t>(DType::kUInt8, {2}, {255, 3}).output(DType::kFloat32);
  ASSERT_OK(widen.run(cast_shape, cast_eval));
  expect_near(widen.out<float>(), {255, 3});
}

TEST(MiscOpsTest, CastRejectsUnsupportedDtypes) {
  OpHarness in(tflite::BuiltinOperator_CAST);
  in.input<uint16_t>(DType::kFloat16, {1}, {0}).output(DType::kFloat32);
  EXPECT_EQ(in.shape(cast_shape).code(), StatusCode::kUnsupported);
  OpHarness out(tflite::BuiltinOperator_CAST);
  out.f32({1}, {0}).output(DType::kFloat64);
  EXPECT_EQ(out.shape(cast_shape).code(), StatusCode::kUnsupported);
}

// ---- ARG_MAX / ARG_MIN -------------------------------------------------------------------

TEST(MiscOpsTest, ArgMaxTiesGiveFirstIndex) {
  OpHarness h(tflite::BuiltinOperator_ARG_MAX);
  tflite::ArgMaxOptionsT o;
  o.output_type = tflite::TensorType_INT32;
  h.f32({2, 4}, {1, 7, 7, 3, -2, -1, -5, -1}).i32({1}, {-1}).output(DType::kInt32).options(o);
  ASSERT_OK(h.run(arg_max_shape, arg_max_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2}));
  EXPECT_EQ(h.out<int32_t>(), (std::vector<int32_t>{1, 1}));
}

TEST(MiscOpsTest, ArgMinOverFirstAxisInt64Output) {
  OpHarness h(tflite::BuiltinOperator_ARG_MIN);
  tflite::ArgMinOptionsT o;
  o.output_type = tflite::TensorType_INT64;
  h.i32({3, 2}, {5, 1, 2, 1, 2, 0}).i64({}, {0}).output(DType::kInt64).options(o);
  ASSERT_OK(h.run(arg_min_shape, arg_min_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2}));
  EXPECT_EQ(h.out<int64_t>(), (std::vector<int64_t>{1, 2}));
}

TEST(MiscOpsTest, ArgMaxMatchesNaiveOnWave) {
  const std::vector<float> x = wave(2 * 5 * 3);  // (2, 5, 3), axis 1
  OpHarness h(tflite::BuiltinOperator_ARG_MAX);
  tflite::ArgMaxOptionsT o;
  o.output_type = tflite::TensorType_INT32;
  h.f32({2, 5, 3}, x).i32({1}, {1}).output(DType::kInt32).options(o);
  ASSERT_OK(h.run(arg_max_shape, arg_max_eval));
  std::vector<int32_t> want;
  for (int a = 0; a < 2; ++a) {
    for (int c = 0; c < 3; ++c) {
      int best = 0;
      for (int b = 1; b < 5; ++b) {
        if (x[(a * 5 + b) * 3 + c] > x[(a * 5 + best) * 3 + c]) best = b;
      }
      want.push_back(best);
    }
  }
  EXPECT_EQ(h.out<int32_t>(), want);
}

TEST(MiscOpsTest, ArgMaxErrorsAndUnknownAxis) {
  tflite::ArgMaxOptionsT o;
  o.output_type = tflite::TensorType_INT64;
  OpHarness mismatch(tflite::BuiltinOperator_ARG_MAX);
  mismatch.f32({2}, {1, 2}).i32({1}, {0}).output(DType::kInt32).options(o);
  expect_error(mismatch.shape(arg_max_shape), "output_type INT64");
  OpHarness range(tflite::BuiltinOperator_ARG_MAX);
  range.f32({2}, {1, 2}).i32({1}, {1}).output(DType::kInt64).options(o);
  expect_error(range.shape(arg_max_shape), "axis 1 is out of range");
  OpHarness unknown(tflite::BuiltinOperator_ARG_MAX);
  unknown.f32({2}, {1, 2}).unknown(DType::kInt32, {1}).output(DType::kInt64).options(o);
  EXPECT_FALSE(unknown.shape(arg_max_shape).is_ok());
  EXPECT_TRUE(unknown.value_missing());
}

// ---- REDUCE_MAX / REDUCE_MIN / REDUCE_PROD ---------------------------------------------------

// Naive reduction of a (2, 3, 4) tensor over axis set `axes` (bit d: axis d).
std::vector<double> naive_reduce(const std::vector<float>& x, unsigned axes, double start,
                                 double (*combine)(double, double)) {
  const int dims[3] = {2, 3, 4};
  int out_dims[3];
  for (int d = 0; d < 3; ++d) out_dims[d] = (axes >> d) & 1 ? 1 : dims[d];
  std::vector<double> out(out_dims[0] * out_dims[1] * out_dims[2], start);
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 3; ++b) {
      for (int c = 0; c < 4; ++c) {
        const int oa = (axes & 1) ? 0 : a, ob = (axes & 2) ? 0 : b, oc = (axes & 4) ? 0 : c;
        double& acc = out[(oa * out_dims[1] + ob) * out_dims[2] + oc];
        acc = combine(acc, x[(a * 3 + b) * 4 + c]);
      }
    }
  }
  return out;
}

TEST(MiscOpsTest, ReduceMaxMinProdMatchNaive) {
  const std::vector<float> x = wave(24, 1.5f);
  struct Case {
    tflite::BuiltinOperator code;
    Status (*shape)(OpContext&);
    Status (*eval)(OpContext&);
    double start;
    double (*combine)(double, double);
  };
  const Case cases[] = {
      {tflite::BuiltinOperator_REDUCE_MAX, reduce_max_shape, reduce_max_eval, -1e300,
       [](double a, double b) { return std::max(a, b); }},
      {tflite::BuiltinOperator_REDUCE_MIN, reduce_min_shape, reduce_min_eval, 1e300,
       [](double a, double b) { return std::min(a, b); }},
      {tflite::BuiltinOperator_REDUCE_PROD, reduce_prod_shape, reduce_prod_eval, 1.0,
       [](double a, double b) { return a * b; }},
  };
  for (const Case& c : cases) {
    OpHarness h(c.code);
    h.f32({2, 3, 4}, x).i32({3}, {-1, 0, 2}).output(DType::kFloat32).options(reducer(true));  // axes {0, 2}, repeated
    ASSERT_OK(h.run(c.shape, c.eval));
    EXPECT_EQ(h.out_shape(), (Shape{1, 3, 1}));
    expect_near(h.out<float>(), naive_reduce(x, 0b101, c.start, c.combine), 1e-5);

    OpHarness drop(c.code);
    drop.f32({2, 3, 4}, x).i64({1}, {1}).output(DType::kFloat32).options(reducer(false));
    ASSERT_OK(drop.run(c.shape, c.eval));
    EXPECT_EQ(drop.out_shape(), (Shape{2, 4}));
    expect_near(drop.out<float>(), naive_reduce(x, 0b010, c.start, c.combine), 1e-5);
  }
}

TEST(MiscOpsTest, ReduceIntegersAndEmptyReduction) {
  OpHarness prod(tflite::BuiltinOperator_REDUCE_PROD);
  prod.i32({2, 3}, {1, 2, 3, -4, 5, 6}).i32({1}, {1}).output(DType::kInt32);
  ASSERT_OK(prod.run(reduce_prod_shape, reduce_prod_eval));
  EXPECT_EQ(prod.out<int32_t>(), (std::vector<int32_t>{6, -120}));

  OpHarness max8(tflite::BuiltinOperator_REDUCE_MAX);
  max8.input<int8_t>(DType::kInt8, {4}, {-3, 7, -128, 2}).quantized(0.1f, -5).i32({1}, {0});
  max8.output(DType::kInt8).quantized(0.1f, -5);
  ASSERT_OK(max8.run(reduce_max_shape, reduce_max_eval));
  EXPECT_EQ(max8.out<int8_t>(), (std::vector<int8_t>{7}));

  // Reducing an empty dim gives the start value (TFLite's lowest() for max).
  OpHarness empty(tflite::BuiltinOperator_REDUCE_MAX);
  empty.f32({2, 0}, {}).i32({1}, {1}).output(DType::kFloat32);
  ASSERT_OK(empty.run(reduce_max_shape, reduce_max_eval));
  EXPECT_EQ(empty.out<float>(), (std::vector<float>(2, std::numeric_limits<float>::lowest())));
}

// LiteRT's reducers keep the running value only while it compares strictly
// better, so a NaN replaces it and the next value replaces the NaN.
TEST(MiscOpsTest, ReduceMaxMinNaNRestartsTheRunningValue) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {1, nan, 0.5f, 0.2f, 3, 2, nan, 9};  // (2, 4)
  OpHarness max(tflite::BuiltinOperator_REDUCE_MAX);
  max.f32({2, 4}, x).i32({1}, {1}).output(DType::kFloat32);
  ASSERT_OK(max.run(reduce_max_shape, reduce_max_eval));
  expect_near(max.out<float>(), {0.5, 9});
  OpHarness min(tflite::BuiltinOperator_REDUCE_MIN);
  min.f32({2, 4}, x).i32({1}, {1}).output(DType::kFloat32);
  ASSERT_OK(min.run(reduce_min_shape, reduce_min_eval));
  expect_near(min.out<float>(), {0.2, 9});
  OpHarness last(tflite::BuiltinOperator_REDUCE_MAX);
  last.f32({2}, {1, nan}).i32({1}, {0}).output(DType::kFloat32);
  ASSERT_OK(last.run(reduce_max_shape, reduce_max_eval));
  EXPECT_TRUE(std::isnan(last.out<float>()[0]));
}

TEST(MiscOpsTest, ReduceRejectsRequantizingAndBadAxes) {
  OpHarness q(tflite::BuiltinOperator_REDUCE_MAX);
  q.input<int8_t>(DType::kInt8, {2}, {1, 2}).quantized(0.1f, 0).i32({1}, {0});
  q.output(DType::kInt8).quantized(0.2f, 0);
  EXPECT_EQ(q.shape(reduce_max_shape).code(), StatusCode::kUnsupported);
  OpHarness prod8(tflite::BuiltinOperator_REDUCE_PROD);
  prod8.input<int8_t>(DType::kInt8, {2}, {1, 2}).i32({1}, {0}).output(DType::kInt8);
  EXPECT_EQ(prod8.shape(reduce_prod_shape).code(), StatusCode::kUnsupported);
  OpHarness axis(tflite::BuiltinOperator_REDUCE_MIN);
  axis.f32({2, 2}, iota_f(4)).i32({1}, {2}).output(DType::kFloat32);
  expect_error(axis.shape(reduce_min_shape), "axis 2 is out of range");
}

// ---- SPLIT_V ------------------------------------------------------------------------------

TEST(MiscOpsTest, SplitVInfersMinusOneSize) {
  OpHarness h(tflite::BuiltinOperator_SPLIT_V);
  tflite::SplitVOptionsT o;
  o.num_splits = 3;
  h.f32({2, 5}, iota_f(10)).i32({3}, {2, -1, 1}).i32({}, {-1});
  h.output(DType::kFloat32).output(DType::kFloat32).output(DType::kFloat32).options(o);
  ASSERT_OK(h.run(split_v_shape, split_v_eval));
  EXPECT_EQ(h.out_shape(0), (Shape{2, 2}));
  EXPECT_EQ(h.out_shape(1), (Shape{2, 2}));
  EXPECT_EQ(h.out_shape(2), (Shape{2, 1}));
  expect_near(h.out<float>(0), {0, 1, 5, 6});
  expect_near(h.out<float>(1), {2, 3, 7, 8});
  expect_near(h.out<float>(2), {4, 9});
}

TEST(MiscOpsTest, SplitVRejectsBadSizes) {
  tflite::SplitVOptionsT o;
  o.num_splits = 2;
  OpHarness sum(tflite::BuiltinOperator_SPLIT_V);
  sum.f32({5}, iota_f(5)).i32({2}, {2, 2}).i32({}, {0}).output(DType::kFloat32).output(DType::kFloat32).options(o);
  expect_error(sum.shape(split_v_shape), "do not add up");
  OpHarness two(tflite::BuiltinOperator_SPLIT_V);
  two.f32({5}, iota_f(5)).i32({2}, {-1, -1}).i32({}, {0}).output(DType::kFloat32).output(DType::kFloat32).options(o);
  expect_error(two.shape(split_v_shape), "are invalid");
  OpHarness count(tflite::BuiltinOperator_SPLIT_V);
  count.f32({5}, iota_f(5)).i32({3}, {1, 1, 3}).i32({}, {0}).output(DType::kFloat32).output(DType::kFloat32);
  count.options(o);
  expect_error(count.shape(split_v_shape), "must hold 2 values");
}

// ---- TILE / MIRROR_PAD / BROADCAST_TO --------------------------------------------------------

TEST(MiscOpsTest, TileMatchesNaiveModulo) {
  const std::vector<int32_t> x = iota_i(6);  // (2, 3)
  OpHarness h(tflite::BuiltinOperator_TILE);
  h.i32({2, 3}, x).i64({2}, {3, 2}).output(DType::kInt32);
  ASSERT_OK(h.run(tile_shape, tile_eval));
  EXPECT_EQ(h.out_shape(), (Shape{6, 6}));
  std::vector<int32_t> want;
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 6; ++j) want.push_back(x[(i % 2) * 3 + j % 3]);
  }
  EXPECT_EQ(h.out<int32_t>(), want);
}

TEST(MiscOpsTest, TileRejectsNegativeMultiple) {
  OpHarness h(tflite::BuiltinOperator_TILE);
  h.f32({2}, {1, 2}).i32({1}, {-1}).output(DType::kFloat32);
  expect_error(h.shape(tile_shape), "multiple -1");
}

TEST(MiscOpsTest, MirrorPadReflectAndSymmetric1D) {
  tflite::MirrorPadOptionsT o;
  o.mode = tflite::MirrorPadMode_REFLECT;
  OpHarness r(tflite::BuiltinOperator_MIRROR_PAD);
  r.f32({3}, {1, 2, 3}).i32({1, 2}, {2, 2}).output(DType::kFloat32).options(o);
  ASSERT_OK(r.run(mirror_pad_shape, mirror_pad_eval));
  expect_near(r.out<float>(), {3, 2, 1, 2, 3, 2, 1});
  o.mode = tflite::MirrorPadMode_SYMMETRIC;
  OpHarness s(tflite::BuiltinOperator_MIRROR_PAD);
  s.f32({3}, {1, 2, 3}).i32({1, 2}, {2, 3}).output(DType::kFloat32).options(o);
  ASSERT_OK(s.run(mirror_pad_shape, mirror_pad_eval));
  expect_near(s.out<float>(), {2, 1, 1, 2, 3, 3, 2, 1});
}

TEST(MiscOpsTest, MirrorPad2DMatchesNaiveReflect) {
  const std::vector<float> x = iota_f(12);  // (3, 4)
  tflite::MirrorPadOptionsT o;
  OpHarness h(tflite::BuiltinOperator_MIRROR_PAD);
  h.f32({3, 4}, x).i64({2, 2}, {1, 2, 3, 0}).output(DType::kFloat32).options(o);
  ASSERT_OK(h.run(mirror_pad_shape, mirror_pad_eval));
  EXPECT_EQ(h.out_shape(), (Shape{6, 7}));
  auto reflect = [](int p, int n) { return p < 0 ? -p : (p >= n ? 2 * n - 2 - p : p); };
  std::vector<double> want;
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 7; ++j) want.push_back(x[reflect(i - 1, 3) * 4 + reflect(j - 3, 4)]);
  }
  expect_near(h.out<float>(), want);
}

TEST(MiscOpsTest, MirrorPadRejectsTooMuchPadding) {
  tflite::MirrorPadOptionsT o;  // REFLECT: at most dim - 1
  OpHarness h(tflite::BuiltinOperator_MIRROR_PAD);
  h.f32({3}, {1, 2, 3}).i32({1, 2}, {3, 0}).output(DType::kFloat32).options(o);
  expect_error(h.shape(mirror_pad_shape), "must be in [0, 2]");
}

TEST(MiscOpsTest, BroadcastToRepeatsUnitDims) {
  OpHarness h(tflite::BuiltinOperator_BROADCAST_TO);
  h.f32({2, 1}, {5, 7}).i32({3}, {2, 2, 3}).output(DType::kFloat32);
  ASSERT_OK(h.run(broadcast_to_shape, broadcast_to_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 2, 3}));
  expect_near(h.out<float>(), {5, 5, 5, 7, 7, 7, 5, 5, 5, 7, 7, 7});
  OpHarness bad(tflite::BuiltinOperator_BROADCAST_TO);
  bad.f32({2}, {5, 7}).i32({1}, {3}).output(DType::kFloat32);
  expect_error(bad.shape(broadcast_to_shape), "cannot broadcast");
}

// ---- GATHER_ND -------------------------------------------------------------------------------

TEST(MiscOpsTest, GatherNdElementsAndSlices) {
  const std::vector<float> params = iota_f(12);  // (2, 3, 2)
  OpHarness elems(tflite::BuiltinOperator_GATHER_ND);
  elems.f32({2, 3, 2}, params).i32({2, 3}, {1, 2, 0, 0, 1, 1}).output(DType::kFloat32);
  ASSERT_OK(elems.run(gather_nd_shape, gather_nd_eval));
  EXPECT_EQ(elems.out_shape(), (Shape{2}));
  expect_near(elems.out<float>(), {10, 3});
  OpHarness rows(tflite::BuiltinOperator_GATHER_ND);
  rows.f32({2, 3, 2}, params).i64({2, 1, 2}, {1, 0, 0, 2}).output(DType::kFloat32);
  ASSERT_OK(rows.run(gather_nd_shape, gather_nd_eval));
  EXPECT_EQ(rows.out_shape(), (Shape{2, 1, 2}));
  expect_near(rows.out<float>(), {6, 7, 4, 5});
}

TEST(MiscOpsTest, GatherNdRejectsNegativeAndOutOfBoundsIndices) {
  OpHarness neg(tflite::BuiltinOperator_GATHER_ND);
  neg.f32({2, 2}, iota_f(4)).i32({1, 2}, {0, -1}).output(DType::kFloat32);
  expect_error(neg.run(gather_nd_shape, gather_nd_eval), "index -1 of");
  OpHarness oob(tflite::BuiltinOperator_GATHER_ND);
  oob.f32({2, 2}, iota_f(4)).i32({1, 1}, {2}).output(DType::kFloat32);
  expect_error(oob.run(gather_nd_shape, gather_nd_eval), "out of bounds");
  // Within the flat size but past its own dim: LiteRT refuses it too.
  OpHarness dim(tflite::BuiltinOperator_GATHER_ND);
  dim.f32({3, 4}, iota_f(12)).i32({1, 2}, {0, 5}).output(DType::kFloat32);
  expect_error(dim.run(gather_nd_shape, gather_nd_eval), "out of bounds");
  OpHarness deep(tflite::BuiltinOperator_GATHER_ND);
  deep.f32({2}, iota_f(2)).i32({1, 2}, {0, 0}).output(DType::kFloat32);
  expect_error(deep.shape(gather_nd_shape), "address 2 dims");
}

// ---- FILL / ZEROS_LIKE / RANGE -----------------------------------------------------------------

TEST(MiscOpsTest, FillTakesValueDtype) {
  OpHarness h(tflite::BuiltinOperator_FILL);
  h.i64({2}, {2, 3}).f32({}, {7.5f}).output(DType::kFloat32);
  ASSERT_OK(h.run(fill_shape, fill_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 3}));
  expect_near(h.out<float>(), std::vector<double>(6, 7.5));
  OpHarness neg(tflite::BuiltinOperator_FILL);
  neg.i32({1}, {-2}).i32({}, {1}).output(DType::kInt32);
  expect_error(neg.shape(fill_shape), "dim -2");
  OpHarness unknown(tflite::BuiltinOperator_FILL);
  unknown.unknown(DType::kInt32, {2}).f32({}, {1}).output(DType::kFloat32);
  EXPECT_FALSE(unknown.shape(fill_shape).is_ok());
  EXPECT_TRUE(unknown.value_missing());
}

TEST(MiscOpsTest, ZerosLike) {
  OpHarness h(tflite::BuiltinOperator_ZEROS_LIKE);
  h.i64({2, 2}, {1, 2, 3, 4}).output(DType::kInt64);
  ASSERT_OK(h.run(zeros_like_shape, zeros_like_eval));
  EXPECT_EQ(h.out<int64_t>(), (std::vector<int64_t>(4, 0)));
}

TEST(MiscOpsTest, RangeIntegerAndAccumulatedFloat) {
  OpHarness ints(tflite::BuiltinOperator_RANGE);
  ints.i32({}, {10}).i32({}, {0}).i32({}, {-3}).output(DType::kInt32);
  ASSERT_OK(ints.run(range_shape, range_eval));
  EXPECT_EQ(ints.out<int32_t>(), (std::vector<int32_t>{10, 7, 4, 1}));

  OpHarness floats(tflite::BuiltinOperator_RANGE);
  floats.f32({}, {0.0f}).f32({}, {1.0f}).f32({}, {0.1f}).output(DType::kFloat32);
  ASSERT_OK(floats.run(range_shape, range_eval));
  ASSERT_EQ(floats.out_shape(), (Shape{10}));
  float acc = 0.0f;  // TFLite accumulates: out[i] = out[i-1] + delta, in float
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(floats.out<float>()[i], acc) << i;
    acc += 0.1f;
  }

  OpHarness empty(tflite::BuiltinOperator_RANGE);
  empty.i64({}, {3}).i64({}, {3}).i64({}, {1}).output(DType::kInt64);
  ASSERT_OK(empty.run(range_shape, range_eval));
  EXPECT_EQ(empty.out_shape(), (Shape{0}));
}

TEST(MiscOpsTest, RangeRejectsZeroDeltaAndWrongDirection) {
  OpHarness zero(tflite::BuiltinOperator_RANGE);
  zero.i32({}, {0}).i32({}, {5}).i32({}, {0}).output(DType::kInt32);
  expect_error(zero.shape(range_shape), "is invalid");
  OpHarness dir(tflite::BuiltinOperator_RANGE);
  dir.f32({}, {0}).f32({}, {5}).f32({}, {-1}).output(DType::kFloat32);
  expect_error(dir.shape(range_shape), "is invalid");
}

// ---- SELECT / SELECT_V2 ----------------------------------------------------------------------

TEST(MiscOpsTest, SelectV1SameShapeAndRowCondition) {
  OpHarness same(tflite::BuiltinOperator_SELECT);
  same.b8({2, 2}, {1, 0, 0, 1}).f32({2, 2}, {1, 2, 3, 4}).f32({2, 2}, {-1, -2, -3, -4}).output(DType::kFloat32);
  ASSERT_OK(same.run(select_shape, select_eval));
  expect_near(same.out<float>(), {1, -2, -3, 4});
  OpHarness rows(tflite::BuiltinOperator_SELECT);
  rows.b8({2}, {0, 1}).i32({2, 2}, {1, 2, 3, 4}).i32({2, 2}, {-1, -2, -3, -4}).output(DType::kInt32);
  ASSERT_OK(rows.run(select_shape, select_eval));
  EXPECT_EQ(rows.out<int32_t>(), (std::vector<int32_t>{-1, -2, 3, 4}));
  OpHarness bad(tflite::BuiltinOperator_SELECT);
  bad.b8({2}, {0, 1}).f32({3, 2}, iota_f(6)).f32({3, 2}, iota_f(6)).output(DType::kFloat32);
  expect_error(bad.shape(select_shape), "condition [2]");
}

TEST(MiscOpsTest, SelectV2Broadcasts) {
  OpHarness h(tflite::BuiltinOperator_SELECT_V2);
  h.b8({2, 1}, {1, 0}).f32({1, 3}, {1, 2, 3}).f32({}, {9}).output(DType::kFloat32);
  ASSERT_OK(h.run(select_v2_shape, select_v2_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 3}));
  expect_near(h.out<float>(), {1, 2, 3, 9, 9, 9});
  OpHarness cond(tflite::BuiltinOperator_SELECT_V2);
  cond.f32({1}, {1}).f32({1}, {1}).f32({1}, {1}).output(DType::kFloat32);
  EXPECT_EQ(cond.shape(select_v2_shape).code(), StatusCode::kUnsupported);
}

// ---- Comparisons and logic ------------------------------------------------------------------

TEST(MiscOpsTest, ComparisonsBroadcastAgainstNaive) {
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};  // (2, 3)
  const std::vector<float> b = {2, 5, 3};           // (3)
  struct Case {
    tflite::BuiltinOperator code;
    Status (*shape)(OpContext&);
    Status (*eval)(OpContext&);
    bool (*op)(float, float);
  };
  const Case cases[] = {
      {tflite::BuiltinOperator_LESS, less_shape, less_eval, [](float x, float y) { return x < y; }},
      {tflite::BuiltinOperator_LESS_EQUAL, less_equal_shape, less_equal_eval, [](float x, float y) { return x <= y; }},
      {tflite::BuiltinOperator_GREATER, greater_shape, greater_eval, [](float x, float y) { return x > y; }},
      {tflite::BuiltinOperator_GREATER_EQUAL, greater_equal_shape, greater_equal_eval,
       [](float x, float y) { return x >= y; }},
      {tflite::BuiltinOperator_EQUAL, equal_shape, equal_eval, [](float x, float y) { return x == y; }},
      {tflite::BuiltinOperator_NOT_EQUAL, not_equal_shape, not_equal_eval, [](float x, float y) { return x != y; }},
  };
  for (const Case& c : cases) {
    OpHarness h(c.code);
    h.f32({2, 3}, a).f32({3}, b).output(DType::kBool);
    ASSERT_OK(h.run(c.shape, c.eval));
    EXPECT_EQ(h.out_shape(), (Shape{2, 3}));
    std::vector<uint8_t> want;
    for (int i = 0; i < 6; ++i) want.push_back(c.op(a[i], b[i % 3]) ? 1 : 0);
    EXPECT_EQ(h.out<uint8_t>(), want) << tflite::EnumNameBuiltinOperator(c.code);
  }
}

TEST(MiscOpsTest, ComparisonsOnIntegersAndBools) {
  OpHarness ints(tflite::BuiltinOperator_GREATER);
  ints.i64({3}, {-5, 0, 7}).i64({}, {0}).output(DType::kBool);
  ASSERT_OK(ints.run(greater_shape, greater_eval));
  EXPECT_EQ(ints.out<uint8_t>(), (std::vector<uint8_t>{0, 0, 1}));
  OpHarness bools(tflite::BuiltinOperator_EQUAL);
  bools.b8({3}, {1, 0, 1}).b8({3}, {1, 1, 0}).output(DType::kBool);
  ASSERT_OK(bools.run(equal_shape, equal_eval));
  EXPECT_EQ(bools.out<uint8_t>(), (std::vector<uint8_t>{1, 0, 0}));
  OpHarness less_bool(tflite::BuiltinOperator_LESS);
  less_bool.b8({1}, {1}).b8({1}, {0}).output(DType::kBool);
  EXPECT_EQ(less_bool.shape(less_shape).code(), StatusCode::kUnsupported);
  OpHarness quant(tflite::BuiltinOperator_LESS);
  quant.input<uint8_t>(DType::kUInt8, {1}, {1}).quantized(0.1f, 3);
  quant.input<uint8_t>(DType::kUInt8, {1}, {1}).quantized(0.1f, 4).output(DType::kBool);
  EXPECT_EQ(quant.shape(less_shape).code(), StatusCode::kUnsupported);
  OpHarness out(tflite::BuiltinOperator_LESS);
  out.f32({1}, {1}).f32({1}, {2}).output(DType::kFloat32);
  expect_error(out.shape(less_shape), "expected bool");
}

TEST(MiscOpsTest, LogicalOps) {
  OpHarness a(tflite::BuiltinOperator_LOGICAL_AND);
  a.b8({2, 2}, {1, 0, 1, 1}).b8({2}, {1, 0}).output(DType::kBool);
  ASSERT_OK(a.run(logical_and_shape, logical_and_eval));
  EXPECT_EQ(a.out<uint8_t>(), (std::vector<uint8_t>{1, 0, 1, 0}));
  OpHarness o(tflite::BuiltinOperator_LOGICAL_OR);
  o.b8({2, 2}, {1, 0, 0, 0}).b8({2}, {0, 1}).output(DType::kBool);
  ASSERT_OK(o.run(logical_or_shape, logical_or_eval));
  EXPECT_EQ(o.out<uint8_t>(), (std::vector<uint8_t>{1, 1, 0, 1}));
  OpHarness n(tflite::BuiltinOperator_LOGICAL_NOT);
  n.b8({3}, {1, 0, 1}).output(DType::kBool);
  ASSERT_OK(n.run(logical_not_shape, logical_not_eval));
  EXPECT_EQ(n.out<uint8_t>(), (std::vector<uint8_t>{0, 1, 0}));
  OpHarness bad(tflite::BuiltinOperator_LOGICAL_NOT);
  bad.f32({1}, {1}).output(DType::kBool);
  EXPECT_EQ(bad.shape(logical_not_shape).code(), StatusCode::kUnsupported);
}

// ---- Unary math -----------------------------------------------------------------------------

TEST(MiscOpsTest, UnaryFloatOpsMatchFormulas) {
  const std::vector<float> x = {-2.5f, -1.5f, -0.7f, -0.5f, 0.0f, 0.3f, 0.5f, 1.5f, 2.5f, 3.7f};
  struct Case {
    tflite::BuiltinOperator code;
    Status (*shape)(OpContext&);
    Status (*eval)(OpContext&);
    double (*f)(double);
  };
  const Case cases[] = {
      {tflite::BuiltinOperator_ABS, abs_shape, abs_eval, [](double v) { return std::fabs(v); }},
      {tflite::BuiltinOperator_NEG, neg_shape, neg_eval, [](double v) { return -v; }},
      {tflite::BuiltinOperator_SQUARE, square_shape, square_eval, [](double v) { return v * v; }},
      {tflite::BuiltinOperator_FLOOR, floor_shape, floor_eval, [](double v) { return std::floor(v); }},
      {tflite::BuiltinOperator_CEIL, ceil_shape, ceil_eval, [](double v) { return std::ceil(v); }},
      {tflite::BuiltinOperator_SIGN, sign_shape, sign_eval, [](double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); }},
      {tflite::BuiltinOperator_SIN, sin_shape, sin_eval, [](double v) { return std::sin(v); }},
      {tflite::BuiltinOperator_COS, cos_shape, cos_eval, [](double v) { return std::cos(v); }},
      {tflite::BuiltinOperator_ELU, elu_shape, elu_eval, [](double v) { return v < 0 ? std::exp(v) - 1 : v; }},
  };
  for (const Case& c : cases) {
    OpHarness h(c.code);
    h.f32({2, 5}, x).output(DType::kFloat32);
    ASSERT_OK(h.run(c.shape, c.eval));
    std::vector<double> want;
    for (float v : x) want.push_back(c.f(v));
    expect_near(h.out<float>(), want, 1e-6);
  }
}

TEST(MiscOpsTest, RoundIsHalfToEvenAndLogOfPositives) {
  OpHarness r(tflite::BuiltinOperator_ROUND);
  r.f32({8}, {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.6f, -2.6f}).output(DType::kFloat32);
  ASSERT_OK(r.run(round_shape, round_eval));
  expect_near(r.out<float>(), {-2, -2, 0, 0, 2, 2, 3, -3});
  OpHarness l(tflite::BuiltinOperator_LOG);
  l.f32({3}, {1.0f, 2.0f, 0.25f}).output(DType::kFloat32);
  ASSERT_OK(l.run(log_shape, log_eval));
  expect_near(l.out<float>(), {0.0, std::log(2.0), std::log(0.25)});
}

TEST(MiscOpsTest, UnaryIntegerOpsAndSignOfNaNAndNegativeZero) {
  OpHarness abs(tflite::BuiltinOperator_ABS);
  abs.i32({3}, {-4, 0, 9}).output(DType::kInt32);
  ASSERT_OK(abs.run(abs_shape, abs_eval));
  EXPECT_EQ(abs.out<int32_t>(), (std::vector<int32_t>{4, 0, 9}));
  OpHarness neg(tflite::BuiltinOperator_NEG);
  neg.i64({2}, {-4, 5}).output(DType::kInt64);
  ASSERT_OK(neg.run(neg_shape, neg_eval));
  EXPECT_EQ(neg.out<int64_t>(), (std::vector<int64_t>{4, -5}));
  OpHarness sign(tflite::BuiltinOperator_SIGN);
  sign.f32({2}, {std::numeric_limits<float>::quiet_NaN(), -0.0f}).output(DType::kFloat32);
  ASSERT_OK(sign.run(sign_shape, sign_eval));
  EXPECT_TRUE(std::isnan(sign.out<float>()[0]));
  EXPECT_EQ(sign.out<float>()[1], 0.0f);
  EXPECT_FALSE(std::signbit(sign.out<float>()[1]));
  OpHarness bad(tflite::BuiltinOperator_SQUARE);
  bad.i32({1}, {2}).output(DType::kInt32);
  EXPECT_EQ(bad.shape(square_shape).code(), StatusCode::kUnsupported);
}

// ---- Binary math ----------------------------------------------------------------------------

TEST(MiscOpsTest, PowFloatBroadcastAndInteger) {
  OpHarness f(tflite::BuiltinOperator_POW);
  f.f32({2, 2}, {2, 3, 0.5f, 4}).f32({2}, {2, 0.5f}).output(DType::kFloat32);
  ASSERT_OK(f.run(pow_shape, pow_eval));
  expect_near(f.out<float>(), {4, std::sqrt(3.0), 0.25, 2});
  OpHarness i(tflite::BuiltinOperator_POW);
  i.i32({3}, {2, -3, 7}).i32({3}, {10, 3, 0}).output(DType::kInt32);
  ASSERT_OK(i.run(pow_shape, pow_eval));
  EXPECT_EQ(i.out<int32_t>(), (std::vector<int32_t>{1024, -27, 1}));
  OpHarness neg(tflite::BuiltinOperator_POW);
  neg.i32({1}, {2}).i32({1}, {-1}).output(DType::kInt32);
  expect_error(neg.run(pow_shape, pow_eval), "negative exponent");
}

TEST(MiscOpsTest, FloorDivAndFloorModFollowDivisorSign) {
  OpHarness div(tflite::BuiltinOperator_FLOOR_DIV);
  div.i32({4}, {-7, 7, -7, 7}).i32({4}, {2, -2, -2, 2}).output(DType::kInt32);
  ASSERT_OK(div.run(floor_div_shape, floor_div_eval));
  EXPECT_EQ(div.out<int32_t>(), (std::vector<int32_t>{-4, -4, 3, 3}));
  OpHarness mod(tflite::BuiltinOperator_FLOOR_MOD);
  mod.i64({4}, {-7, 7, -7, 7}).i64({4}, {3, -3, -3, 3}).output(DType::kInt64);
  ASSERT_OK(mod.run(floor_mod_shape, floor_mod_eval));
  EXPECT_EQ(mod.out<int64_t>(), (std::vector<int64_t>{2, -2, -1, 1}));
  OpHarness fmod(tflite::BuiltinOperator_FLOOR_MOD);
  fmod.f32({3}, {-7.5f, 7.5f, 6.0f}).f32({}, {2.0f}).output(DType::kFloat32);
  ASSERT_OK(fmod.run(floor_mod_shape, floor_mod_eval));
  expect_near(fmod.out<float>(), {0.5, 1.5, 0});
  OpHarness fdiv(tflite::BuiltinOperator_FLOOR_DIV);
  fdiv.f32({2}, {-7.5f, 7.5f}).f32({}, {2.0f}).output(DType::kFloat32);
  ASSERT_OK(fdiv.run(floor_div_shape, floor_div_eval));
  expect_near(fdiv.out<float>(), {-4, 3});
  OpHarness zero(tflite::BuiltinOperator_FLOOR_MOD);
  zero.i32({1}, {3}).i32({1}, {0}).output(DType::kInt32);
  expect_error(zero.run(floor_mod_shape, floor_mod_eval), "division by zero");
}

// ---- ADD_N / L2_NORMALIZATION -----------------------------------------------------------------

TEST(MiscOpsTest, AddNSumsInputs) {
  OpHarness h(tflite::BuiltinOperator_ADD_N);
  h.f32({3}, {1, 2, 3}).f32({3}, {10, 20, 30}).f32({3}, {0.5f, 0.25f, -1}).output(DType::kFloat32);
  ASSERT_OK(h.run(add_n_shape, add_n_eval));
  expect_near(h.out<float>(), {11.5, 22.25, 32});
  OpHarness bad(tflite::BuiltinOperator_ADD_N);
  bad.f32({3}, {1, 2, 3}).f32({2}, {1, 2}).output(DType::kFloat32);
  expect_error(bad.shape(add_n_shape), "has shape [2]");
}

TEST(MiscOpsTest, L2NormalizationAlongLastAxis) {
  const std::vector<float> x = wave(12);  // (3, 4), the last row zeroed below
  std::vector<float> input = x;
  for (int c = 0; c < 4; ++c) input[8 + c] = 0.0f;
  OpHarness h(tflite::BuiltinOperator_L2_NORMALIZATION);
  h.f32({3, 4}, input).output(DType::kFloat32);
  ASSERT_OK(h.run(l2_normalization_shape, l2_normalization_eval));
  std::vector<double> want;
  for (int r = 0; r < 3; ++r) {
    double s = 0;
    for (int c = 0; c < 4; ++c) s += double(input[r * 4 + c]) * input[r * 4 + c];
    const double norm = std::max(std::sqrt(s), 1e-6);
    for (int c = 0; c < 4; ++c) want.push_back(input[r * 4 + c] / norm);
  }
  expect_near(h.out<float>(), want, 1e-5);
  OpHarness act(tflite::BuiltinOperator_L2_NORMALIZATION);
  tflite::L2NormOptionsT o;
  o.fused_activation_function = tflite::ActivationFunctionType_RELU;
  act.f32({2}, {1, 2}).output(DType::kFloat32).options(o);
  expect_error(act.shape(l2_normalization_shape), "NONE only");
}

// ---- SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND --------------------------------------------------------

TEST(MiscOpsTest, SpaceToBatchMatchesTfDefinition) {
  // input (2, 3, 4, 1), block (2, 2), paddings ((1, 0), (1, 1)) -> padded (2, 4, 6, 1).
  const std::vector<float> x = iota_f(24, 1.0f);
  OpHarness h(tflite::BuiltinOperator_SPACE_TO_BATCH_ND);
  h.f32({2, 3, 4, 1}, x).i32({2}, {2, 2}).i32({2, 2}, {1, 0, 1, 1}).output(DType::kFloat32);
  ASSERT_OK(h.run(space_to_batch_nd_shape, space_to_batch_nd_eval));
  EXPECT_EQ(h.out_shape(), (Shape{8, 2, 3, 1}));
  std::vector<double> want;
  for (int by = 0; by < 2; ++by) {
    for (int bx = 0; bx < 2; ++bx) {
      for (int n = 0; n < 2; ++n) {
        for (int y = 0; y < 2; ++y) {
          for (int xx = 0; xx < 3; ++xx) {
            const int iy = y * 2 + by - 1, ix = xx * 2 + bx - 1;
            const bool inside = iy >= 0 && iy < 3 && ix >= 0 && ix < 4;
            want.push_back(inside ? x[(n * 3 + iy) * 4 + ix] : 0.0);
          }
        }
      }
    }
  }
  expect_near(h.out<float>(), want);
}

TEST(MiscOpsTest, BatchToSpaceInvertsSpaceToBatch) {
  const std::vector<float> x = wave(2 * 3 * 4 * 2);  // (2, 3, 4, 2)
  OpHarness s2b(tflite::BuiltinOperator_SPACE_TO_BATCH_ND);
  s2b.f32({2, 3, 4, 2}, x).i32({2}, {2, 3}).i32({2, 2}, {0, 1, 1, 1}).output(DType::kFloat32);
  ASSERT_OK(s2b.run(space_to_batch_nd_shape, space_to_batch_nd_eval));
  EXPECT_EQ(s2b.out_shape(), (Shape{12, 2, 2, 2}));
  OpHarness b2s(tflite::BuiltinOperator_BATCH_TO_SPACE_ND);
  b2s.f32(s2b.out_shape(), s2b.out<float>()).i32({2}, {2, 3}).i32({2, 2}, {0, 1, 1, 1}).output(DType::kFloat32);
  ASSERT_OK(b2s.run(batch_to_space_nd_shape, batch_to_space_nd_eval));
  EXPECT_EQ(b2s.out_shape(), (Shape{2, 3, 4, 2}));
  EXPECT_EQ(b2s.out<float>(), x);
}

TEST(MiscOpsTest, SpaceToBatchQuantizedPadsWithZeroPointAndErrors) {
  OpHarness q(tflite::BuiltinOperator_SPACE_TO_BATCH_ND);
  q.input<int8_t>(DType::kInt8, {1, 1, 1, 1}, {9}).quantized(0.5f, -3).i32({2}, {1, 2});
  q.i32({2, 2}, {0, 0, 1, 0}).output(DType::kInt8).quantized(0.5f, -3);
  ASSERT_OK(q.run(space_to_batch_nd_shape, space_to_batch_nd_eval));
  EXPECT_EQ(q.out<int8_t>(), (std::vector<int8_t>{-3, 9}));
  OpHarness bad(tflite::BuiltinOperator_SPACE_TO_BATCH_ND);
  bad.f32({1, 3, 1}, iota_f(3)).i32({1}, {2}).i32({1, 2}, {0, 0}).output(DType::kFloat32);
  expect_error(bad.shape(space_to_batch_nd_shape), "does not fit");
  OpHarness batch(tflite::BuiltinOperator_BATCH_TO_SPACE_ND);
  batch.f32({3, 1, 1}, iota_f(3)).i32({1}, {2}).i32({1, 2}, {0, 0}).output(DType::kFloat32);
  expect_error(batch.shape(batch_to_space_nd_shape), "batch 3");
}

// ---- CUMSUM / REVERSE_V2 / TOPK_V2 ------------------------------------------------------------------

TEST(MiscOpsTest, CumsumAllOptionCombinations) {
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};  // (2, 3), axis 1
  for (bool exclusive : {false, true}) {
    for (bool reverse : {false, true}) {
      OpHarness h(tflite::BuiltinOperator_CUMSUM);
      tflite::CumsumOptionsT o;
      o.exclusive = exclusive;
      o.reverse = reverse;
      h.f32({2, 3}, x).i32({}, {-1}).output(DType::kFloat32).options(o);
      ASSERT_OK(h.run(cumsum_shape, cumsum_eval));
      std::vector<double> want;
      for (int r = 0; r < 2; ++r) {
        for (int j = 0; j < 3; ++j) {
          double s = 0;
          for (int k = 0; k < 3; ++k) {
            const bool counted = reverse ? (exclusive ? k > j : k >= j) : (exclusive ? k < j : k <= j);
            if (counted) s += x[r * 3 + k];
          }
          want.push_back(s);
        }
      }
      expect_near(h.out<float>(), want);
    }
  }
}

TEST(MiscOpsTest, CumsumShapeWithoutKnownAxis) {
  OpHarness h(tflite::BuiltinOperator_CUMSUM);
  h.i32({4}, {1, 2, 3, 4}).unknown(DType::kInt32, {}).output(DType::kInt32);
  ASSERT_OK(h.shape(cumsum_shape));
  EXPECT_EQ(h.out_shape(), (Shape{4}));
}

TEST(MiscOpsTest, ReverseOneAndTwoAxes) {
  OpHarness one(tflite::BuiltinOperator_REVERSE_V2);
  one.i32({2, 3}, iota_i(6)).i32({1}, {1}).output(DType::kInt32);
  ASSERT_OK(one.run(reverse_v2_shape, reverse_v2_eval));
  EXPECT_EQ(one.out<int32_t>(), (std::vector<int32_t>{2, 1, 0, 5, 4, 3}));
  OpHarness two(tflite::BuiltinOperator_REVERSE_V2);
  two.i32({2, 3}, iota_i(6)).i32({2}, {-1, 0}).output(DType::kInt32);
  ASSERT_OK(two.run(reverse_v2_shape, reverse_v2_eval));
  EXPECT_EQ(two.out<int32_t>(), (std::vector<int32_t>{5, 4, 3, 2, 1, 0}));
  OpHarness gap(tflite::BuiltinOperator_REVERSE_V2);
  gap.f32({1, 1, 1}, {1}).i32({2}, {0, 2}).output(DType::kFloat32);
  expect_error(gap.shape(reverse_v2_shape), "not contiguous");
}

TEST(MiscOpsTest, TopKSortsDescendingTiesByIndex) {
  OpHarness h(tflite::BuiltinOperator_TOPK_V2);
  h.f32({2, 5}, {1, 5, 3, 5, 2, -1, -3, -2, 0, -1}).i32({}, {3}).output(DType::kFloat32).output(DType::kInt32);
  ASSERT_OK(h.run(topk_v2_shape, topk_v2_eval));
  EXPECT_EQ(h.out_shape(0), (Shape{2, 3}));
  EXPECT_EQ(h.out_shape(1), (Shape{2, 3}));
  expect_near(h.out<float>(0), {5, 5, 3, 0, -1, -1});
  EXPECT_EQ(h.out<int32_t>(1), (std::vector<int32_t>{1, 3, 2, 3, 0, 4}));
  OpHarness big(tflite::BuiltinOperator_TOPK_V2);
  big.f32({3}, {1, 2, 3}).i32({}, {4}).output(DType::kFloat32).output(DType::kInt32);
  expect_error(big.shape(topk_v2_shape), "k = 4");
}

}  // namespace
}  // namespace tfc::ops
