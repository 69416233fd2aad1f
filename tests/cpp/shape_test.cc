// Tests of the shape and data-movement ops (ops/shape_ops.cc, slice_ops.cc
// over kernels/shape_ref): output shapes, values against hand-worked cases or
// naive formulas written here, dtype handling, and the shape rules' errors.
// Not here: the registry table and the interpreter.
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/shape_ref.h"
#include "ops/registry.h"
#include "op_harness.h"

namespace tfc::ops {
namespace {

using ir::Shape;

using namespace test;  // op_harness.h: OpHarness, iota_f, expect_near, expect_error, reducer

// ---- MEAN / SUM -------------------------------------------------------------

TEST(ShapeOpsTest, MeanOverMiddleAxisMatchesNaiveSum) {
  OpHarness h(tflite::BuiltinOperator_MEAN);
  const std::vector<float> x = iota_f(24, -5.5f);  // (2, 3, 4)
  h.f32({2, 3, 4}, x).i32({1}, {1}).output(DType::kFloat32).options(reducer(false));
  ASSERT_OK(h.run(mean_shape, mean_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 4}));
  std::vector<double> want;
  for (int a = 0; a < 2; ++a) {
    for (int c = 0; c < 4; ++c) {
      double s = 0;
      for (int b = 0; b < 3; ++b) s += x[(a * 3 + b) * 4 + c];
      want.push_back(s / 3);
    }
  }
  expect_near(h.out<float>(), want);
}

TEST(ShapeOpsTest, MeanNegativeAndRepeatedAxesKeepDims) {
  OpHarness h(tflite::BuiltinOperator_MEAN);
  const std::vector<float> x = iota_f(24);  // (2, 3, 4)
  h.f32({2, 3, 4}, x).i64({3}, {-1, 0, 2}).output(DType::kFloat32).options(reducer(true));
  ASSERT_OK(h.run(mean_shape, mean_eval));
  EXPECT_EQ(h.out_shape(), (Shape{1, 3, 1}));
  std::vector<double> want;
  for (int b = 0; b < 3; ++b) {
    double s = 0;
    for (int a = 0; a < 2; ++a) {
      for (int c = 0; c < 4; ++c) s += x[(a * 3 + b) * 4 + c];
    }
    want.push_back(s / 8);
  }
  expect_near(h.out<float>(), want);
}

TEST(ShapeOpsTest, MeanSpatialAxesOf4D) {
  OpHarness h(tflite::BuiltinOperator_MEAN);
  const std::vector<float> x = iota_f(2 * 3 * 3 * 2, 1.0f);  // (2, 3, 3, 2)
  h.f32({2, 3, 3, 2}, x).i32({2}, {1, 2}).output(DType::kFloat32).options(reducer(true));
  ASSERT_OK(h.run(mean_shape, mean_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 1, 1, 2}));
  std::vector<double> want;
  for (int n = 0; n < 2; ++n) {
    for (int c = 0; c < 2; ++c) {
      double s = 0;
      for (int p = 0; p < 9; ++p) s += x[(n * 9 + p) * 2 + c];
      want.push_back(s / 9);
    }
  }
  expect_near(h.out<float>(), want);
}

TEST(ShapeOpsTest, MeanOfEmptyInputIsNaN) {
  OpHarness h(tflite::BuiltinOperator_MEAN);
  h.f32({2, 0}, {}).i32({1}, {1}).output(DType::kFloat32);
  ASSERT_OK(h.run(mean_shape, mean_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2}));
  for (float v : h.out<float>()) EXPECT_TRUE(std::isnan(v));
}

TEST(ShapeOpsTest, MeanRejectsBadAxisAndDtype) {
  OpHarness a(tflite::BuiltinOperator_MEAN);
  a.f32({2, 3}, iota_f(6)).i32({1}, {2}).output(DType::kFloat32);
  expect_error(a.shape(mean_shape), "axis 2 is out of range");

  OpHarness b(tflite::BuiltinOperator_MEAN);
  b.i32({2}, {1, 2}).i32({1}, {0}).output(DType::kInt32);
  const Status s = b.shape(mean_shape);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  expect_error(s, "int32");
}

TEST(ShapeOpsTest, MeanNeedsAxesValue) {
  OpHarness h(tflite::BuiltinOperator_MEAN);
  h.f32({2, 3}, iota_f(6)).unknown(DType::kInt32, {1}).output(DType::kFloat32);
  EXPECT_FALSE(h.shape(mean_shape).is_ok());
  EXPECT_TRUE(h.value_missing());
}

TEST(ShapeOpsTest, SumAllAxesToScalar) {
  OpHarness h(tflite::BuiltinOperator_SUM);
  h.f32({2, 3}, {1, 2, 3, 4, 5, 6.5f}).i32({2}, {0, 1}).output(DType::kFloat32);
  ASSERT_OK(h.run(sum_shape, sum_eval));
  EXPECT_EQ(h.out_shape(), Shape{});
  expect_near(h.out<float>(), {21.5});
}

TEST(ShapeOpsTest, SumInt32WrapsAround) {
  OpHarness h(tflite::BuiltinOperator_SUM);
  const int32_t max = std::numeric_limits<int32_t>::max();
  h.i32({2, 2}, {max, 1, 5, -7}).i32({1}, {-1}).output(DType::kInt32).options(reducer(true));
  ASSERT_OK(h.run(sum_shape, sum_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 1}));
  EXPECT_EQ(h.out<int32_t>(), (std::vector<int32_t>{std::numeric_limits<int32_t>::min(), -2}));
}

TEST(ShapeOpsTest, SumWithNoAxesIsIdentity) {
  OpHarness h(tflite::BuiltinOperator_SUM);
  h.f32({3}, {1, 2, 3}).i32({0}, {}).output(DType::kFloat32);
  ASSERT_OK(h.run(sum_shape, sum_eval));
  EXPECT_EQ(h.out_shape(), (Shape{3}));
  expect_near(h.out<float>(), {1, 2, 3});
}

// ---- PAD / PADV2 ------------------------------------------------------------

TEST(ShapeOpsTest, PadFloatWithZeros) {
  OpHarness h(tflite::BuiltinOperator_PAD);
  h.f32({2, 2}, {1, 2, 3, 4}).i32({2, 2}, {1, 0, 0, 2}).output(DType::kFloat32);
  ASSERT_OK(h.run(pad_shape, pad_eval));
  EXPECT_EQ(h.out_shape(), (Shape{3, 4}));
  expect_near(h.out<float>(), {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0});
}

TEST(ShapeOpsTest, PadV2UsesConstantValueAndInt64Paddings) {
  OpHarness h(tflite::BuiltinOperator_PADV2);
  h.i32({3}, {7, 8, 9}).i64({1, 2}, {2, 1}).i32({}, {-1}).output(DType::kInt32);
  ASSERT_OK(h.run(padv2_shape, padv2_eval));
  EXPECT_EQ(h.out_shape(), (Shape{6}));
  EXPECT_EQ(h.out<int32_t>(), (std::vector<int32_t>{-1, -1, 7, 8, 9, -1}));
}

TEST(ShapeOpsTest, PadQuantizedInt8UsesOutputZeroPoint) {
  OpHarness h(tflite::BuiltinOperator_PAD);
  h.input<int8_t>(DType::kInt8, {1, 2}, {10, 20}).quantized(0.5f, -5);
  h.i32({2, 2}, {0, 0, 1, 1}).output(DType::kInt8).quantized(0.5f, -5);
  ASSERT_OK(h.run(pad_shape, pad_eval));
  EXPECT_EQ(h.out<int8_t>(), (std::vector<int8_t>{-5, 10, 20, -5}));
}

TEST(ShapeOpsTest, PadUint8UsesOutputZeroPoint) {
  OpHarness h(tflite::BuiltinOperator_PAD);
  h.input<uint8_t>(DType::kUInt8, {2}, {1, 2}).quantized(0.1f, 128);
  h.i32({1, 2}, {1, 0}).output(DType::kUInt8).quantized(0.1f, 128);
  ASSERT_OK(h.run(pad_shape, pad_eval));
  EXPECT_EQ(h.out<uint8_t>(), (std::vector<uint8_t>{128, 1, 2}));
}

TEST(ShapeOpsTest, PadUnquantizedInt8UsesZero) {
  OpHarness h(tflite::BuiltinOperator_PAD);
  h.input<int8_t>(DType::kInt8, {1}, {3}).i32({1, 2}, {1, 1}).output(DType::kInt8);
  ASSERT_OK(h.run(pad_shape, pad_eval));
  EXPECT_EQ(h.out<int8_t>(), (std::vector<int8_t>{0, 3, 0}));
}

TEST(ShapeOpsTest, PadRejectsBadPaddings) {
  OpHarness neg(tflite::BuiltinOperator_PAD);
  neg.f32({2}, {1, 2}).i32({1, 2}, {-1, 0}).output(DType::kFloat32);
  expect_error(neg.shape(pad_shape), "non-negative");

  OpHarness shape(tflite::BuiltinOperator_PAD);
  shape.f32({2, 2}, {1, 2, 3, 4}).i32({1, 2}, {1, 1}).output(DType::kFloat32);
  expect_error(shape.shape(pad_shape), "must have shape (2, 2)");

  OpHarness value(tflite::BuiltinOperator_PADV2);
  value.f32({2}, {1, 2}).i32({1, 2}, {1, 1}).i32({}, {0}).output(DType::kFloat32);
  expect_error(value.shape(padv2_shape), "constant value");
}

// ---- RESHAPE / SQUEEZE / EXPAND_DIMS ----------------------------------------

tflite::ReshapeOptionsT new_shape(std::vector<int32_t> dims) {
  tflite::ReshapeOptionsT o;
  o.new_shape = std::move(dims);
  return o;
}

TEST(ShapeOpsTest, ReshapeInfersMinusOneFromShapeTensor) {
  OpHarness h(tflite::BuiltinOperator_RESHAPE);
  h.input<int8_t>(DType::kInt8, {2, 3}, {1, 2, 3, 4, 5, 6}).i32({2}, {-1, 2}).output(DType::kInt8);
  ASSERT_OK(h.run(reshape_shape, reshape_eval));
  EXPECT_EQ(h.out_shape(), (Shape{3, 2}));
  EXPECT_EQ(h.out<int8_t>(), (std::vector<int8_t>{1, 2, 3, 4, 5, 6}));
}

TEST(ShapeOpsTest, ReshapeFromOptionsWhenShapeTensorIsNotAVector) {
  OpHarness h(tflite::BuiltinOperator_RESHAPE);
  h.f32({4}, {1, 2, 3, 4}).i32({}, {7}).output(DType::kFloat32).options(new_shape({2, -1}));
  ASSERT_OK(h.run(reshape_shape, reshape_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 2}));
}

TEST(ShapeOpsTest, ReshapeToScalar) {
  OpHarness empty(tflite::BuiltinOperator_RESHAPE);
  empty.f32({1, 1}, {5}).i32({0}, {}).output(DType::kFloat32);
  ASSERT_OK(empty.run(reshape_shape, reshape_eval));
  EXPECT_EQ(empty.out_shape(), Shape{});
  expect_near(empty.out<float>(), {5});

  OpHarness rank0(tflite::BuiltinOperator_RESHAPE);
  rank0.f32({1}, {5}).i32({}, {1}).output(DType::kFloat32);
  ASSERT_OK(rank0.shape(reshape_shape));
  EXPECT_EQ(rank0.out_shape(), Shape{});

  OpHarness legacy(tflite::BuiltinOperator_RESHAPE);
  legacy.f32({1, 1, 1}, {5}).output(DType::kFloat32).options(new_shape({0}));
  ASSERT_OK(legacy.shape(reshape_shape));
  EXPECT_EQ(legacy.out_shape(), Shape{});
}

TEST(ShapeOpsTest, ReshapeZeroSizedInputWithMinusOne) {
  OpHarness h(tflite::BuiltinOperator_RESHAPE);
  h.f32({0, 4}, {}).i32({2}, {2, -1}).output(DType::kFloat32);
  ASSERT_OK(h.shape(reshape_shape));
  EXPECT_EQ(h.out_shape(), (Shape{2, 0}));
}

TEST(ShapeOpsTest, ReshapeErrors) {
  OpHarness two(tflite::BuiltinOperator_RESHAPE);
  two.f32({4}, iota_f(4)).i32({2}, {-1, -1}).output(DType::kFloat32);
  expect_error(two.shape(reshape_shape), "more than one -1");

  OpHarness count(tflite::BuiltinOperator_RESHAPE);
  count.f32({4}, iota_f(4)).i32({2}, {3, 2}).output(DType::kFloat32);
  expect_error(count.shape(reshape_shape), "cannot reshape");

  OpHarness unknown(tflite::BuiltinOperator_RESHAPE);
  unknown.f32({4}, iota_f(4)).unknown(DType::kInt32, {2}).output(DType::kFloat32);
  EXPECT_FALSE(unknown.shape(reshape_shape).is_ok());
  EXPECT_TRUE(unknown.value_missing());
}

TEST(ShapeOpsTest, SqueezeAllOnesOrListedDims) {
  OpHarness all(tflite::BuiltinOperator_SQUEEZE);
  all.f32({1, 2, 1, 3}, iota_f(6)).output(DType::kFloat32);
  ASSERT_OK(all.run(squeeze_shape, squeeze_eval));
  EXPECT_EQ(all.out_shape(), (Shape{2, 3}));
  expect_near(all.out<float>(), {0, 1, 2, 3, 4, 5});

  tflite::SqueezeOptionsT o;
  o.squeeze_dims = {-2};
  OpHarness listed(tflite::BuiltinOperator_SQUEEZE);
  listed.f32({1, 2, 1, 3}, iota_f(6)).output(DType::kFloat32).options(o);
  ASSERT_OK(listed.shape(squeeze_shape));
  EXPECT_EQ(listed.out_shape(), (Shape{1, 2, 3}));

  o.squeeze_dims = {1};
  OpHarness bad(tflite::BuiltinOperator_SQUEEZE);
  bad.f32({1, 2, 1, 3}, iota_f(6)).output(DType::kFloat32).options(o);
  expect_error(bad.shape(squeeze_shape), "cannot squeeze dim 1");
}

TEST(ShapeOpsTest, ExpandDimsNegativeAxis) {
  OpHarness h(tflite::BuiltinOperator_EXPAND_DIMS);
  h.f32({2, 3}, iota_f(6)).i32({1}, {-1}).output(DType::kFloat32);
  ASSERT_OK(h.run(expand_dims_shape, expand_dims_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 3, 1}));
  expect_near(h.out<float>(), {0, 1, 2, 3, 4, 5});

  OpHarness front(tflite::BuiltinOperator_EXPAND_DIMS);
  front.f32({2, 3}, iota_f(6)).i64({}, {-3}).output(DType::kFloat32);
  ASSERT_OK(front.shape(expand_dims_shape));
  EXPECT_EQ(front.out_shape(), (Shape{1, 2, 3}));

  OpHarness bad(tflite::BuiltinOperator_EXPAND_DIMS);
  bad.f32({2, 3}, iota_f(6)).i32({}, {3}).output(DType::kFloat32);
  expect_error(bad.shape(expand_dims_shape), "axis 3 is out of range");
}

// ---- TRANSPOSE --------------------------------------------------------------

TEST(ShapeOpsTest, TransposeMatchesNaiveIndexing) {
  OpHarness h(tflite::BuiltinOperator_TRANSPOSE);
  std::vector<int64_t> x(24);
  std::iota(x.begin(), x.end(), 100);
  h.i64({2, 3, 4}, x).i32({3}, {2, 0, 1}).output(DType::kInt64);
  ASSERT_OK(h.run(transpose_shape, transpose_eval));
  EXPECT_EQ(h.out_shape(), (Shape{4, 2, 3}));
  std::vector<int64_t> want;
  for (int c = 0; c < 4; ++c) {
    for (int a = 0; a < 2; ++a) {
      for (int b = 0; b < 3; ++b) want.push_back(x[(a * 3 + b) * 4 + c]);
    }
  }
  EXPECT_EQ(h.out<int64_t>(), want);
}

TEST(ShapeOpsTest, TransposeRejectsBadPerm) {
  OpHarness dup(tflite::BuiltinOperator_TRANSPOSE);
  dup.f32({2, 3}, iota_f(6)).i32({2}, {0, 0}).output(DType::kFloat32);
  expect_error(dup.shape(transpose_shape), "not a permutation");

  OpHarness big(tflite::BuiltinOperator_TRANSPOSE);
  big.f32({1, 1, 1, 1, 1, 1, 1}, {1}).i32({7}, {0, 1, 2, 3, 4, 5, 6}).output(DType::kFloat32);
  expect_error(big.shape(transpose_shape), "exceeds 6");
}

// ---- STRIDED_SLICE ----------------------------------------------------------

tflite::StridedSliceOptionsT masks(int begin, int end, int ellipsis = 0, int new_axis = 0, int shrink = 0,
                                   bool offset = false) {
  tflite::StridedSliceOptionsT o;
  o.begin_mask = begin;
  o.end_mask = end;
  o.ellipsis_mask = ellipsis;
  o.new_axis_mask = new_axis;
  o.shrink_axis_mask = shrink;
  o.offset = offset;
  return o;
}

// Runs STRIDED_SLICE on x = 0, 1, 2, ... of `shape` (float).
OpHarness& slice(OpHarness& h, const Shape& shape, std::vector<int32_t> begin, std::vector<int32_t> end,
                 std::vector<int32_t> strides, tflite::StridedSliceOptionsT o) {
  const int32_t n = static_cast<int32_t>(begin.size());
  h.f32(shape, iota_f(ir::num_elements(shape))).i32({n}, begin).i32({n}, end).i32({n}, strides);
  return h.output(DType::kFloat32).options(o);
}

TEST(ShapeOpsTest, StridedSlicePositiveAndNegativeStrides) {
  OpHarness fwd(tflite::BuiltinOperator_STRIDED_SLICE);
  slice(fwd, {10}, {1}, {8}, {3}, masks(0, 0));
  ASSERT_OK(fwd.run(strided_slice_shape, strided_slice_eval));
  expect_near(fwd.out<float>(), {1, 4, 7});

  OpHarness back(tflite::BuiltinOperator_STRIDED_SLICE);  // x[8:1:-3]
  slice(back, {10}, {8}, {1}, {-3}, masks(0, 0));
  ASSERT_OK(back.run(strided_slice_shape, strided_slice_eval));
  expect_near(back.out<float>(), {8, 5, 2});

  OpHarness rev(tflite::BuiltinOperator_STRIDED_SLICE);  // x[::-1]
  slice(rev, {4}, {0}, {0}, {-1}, masks(1, 1));
  ASSERT_OK(rev.run(strided_slice_shape, strided_slice_eval));
  expect_near(rev.out<float>(), {3, 2, 1, 0});

  OpHarness neg(tflite::BuiltinOperator_STRIDED_SLICE);  // x[-1:-4:-2]
  slice(neg, {5}, {-1}, {-4}, {-2}, masks(0, 0));
  ASSERT_OK(neg.run(strided_slice_shape, strided_slice_eval));
  expect_near(neg.out<float>(), {4, 2});
}

TEST(ShapeOpsTest, StridedSliceClampsOutOfRangeIndices) {
  OpHarness all(tflite::BuiltinOperator_STRIDED_SLICE);
  slice(all, {4}, {-100}, {100}, {1}, masks(0, 0));
  ASSERT_OK(all.run(strided_slice_shape, strided_slice_eval));
  expect_near(all.out<float>(), {0, 1, 2, 3});

  OpHarness none(tflite::BuiltinOperator_STRIDED_SLICE);
  slice(none, {4}, {7}, {9}, {1}, masks(0, 0));
  ASSERT_OK(none.run(strided_slice_shape, strided_slice_eval));
  EXPECT_EQ(none.out_shape(), (Shape{0}));

  OpHarness back(tflite::BuiltinOperator_STRIDED_SLICE);  // x[100:-100:-1]
  slice(back, {3}, {100}, {-100}, {-1}, masks(0, 0));
  ASSERT_OK(back.run(strided_slice_shape, strided_slice_eval));
  expect_near(back.out<float>(), {2, 1, 0});
}

TEST(ShapeOpsTest, StridedSliceShrinkAxis) {
  OpHarness row(tflite::BuiltinOperator_STRIDED_SLICE);  // x[-1] of (3, 4)
  slice(row, {3, 4}, {-1, 0}, {0, 0}, {1, 1}, masks(0, 2, 0, 0, 1));
  ASSERT_OK(row.run(strided_slice_shape, strided_slice_eval));
  EXPECT_EQ(row.out_shape(), (Shape{4}));
  expect_near(row.out<float>(), {8, 9, 10, 11});

  OpHarness elem(tflite::BuiltinOperator_STRIDED_SLICE);  // x[1, 2]
  slice(elem, {3, 4}, {1, 2}, {2, 3}, {1, 1}, masks(0, 0, 0, 0, 3));
  ASSERT_OK(elem.run(strided_slice_shape, strided_slice_eval));
  EXPECT_EQ(elem.out_shape(), Shape{});
  expect_near(elem.out<float>(), {6});

  OpHarness out(tflite::BuiltinOperator_STRIDED_SLICE);  // x[5] of (3, 4)
  slice(out, {3, 4}, {5, 0}, {6, 0}, {1, 1}, masks(0, 2, 0, 0, 1));
  expect_error(out.shape(strided_slice_shape), "slice visits 0 elements");
}

TEST(ShapeOpsTest, StridedSliceEllipsisAndNewAxis) {
  OpHarness ell(tflite::BuiltinOperator_STRIDED_SLICE);  // x[..., 1:3] of (2, 3, 4)
  slice(ell, {2, 3, 4}, {0, 1}, {0, 3}, {1, 1}, masks(0, 0, 1));
  ASSERT_OK(ell.run(strided_slice_shape, strided_slice_eval));
  EXPECT_EQ(ell.out_shape(), (Shape{2, 3, 2}));
  std::vector<double> want;
  for (int i = 0; i < 6; ++i) {
    want.push_back(i * 4 + 1);
    want.push_back(i * 4 + 2);
  }
  expect_near(ell.out<float>(), want);

  OpHarness mid(tflite::BuiltinOperator_STRIDED_SLICE);  // x[1, ..., ::2] of (2, 3, 4)
  slice(mid, {2, 3, 4}, {1, 0, 0}, {2, 0, 0}, {1, 1, 2}, masks(4, 4, 2, 0, 1));
  ASSERT_OK(mid.run(strided_slice_shape, strided_slice_eval));
  EXPECT_EQ(mid.out_shape(), (Shape{3, 2}));
  expect_near(mid.out<float>(), {12, 14, 16, 18, 20, 22});

  OpHarness ax(tflite::BuiltinOperator_STRIDED_SLICE);  // x[:, newaxis, 1] of (2, 3)
  slice(ax, {2, 3}, {0, 0, 1}, {0, 0, 2}, {1, 1, 1}, masks(1, 1, 0, 2, 4));
  ASSERT_OK(ax.run(strided_slice_shape, strided_slice_eval));
  EXPECT_EQ(ax.out_shape(), (Shape{2, 1}));
  expect_near(ax.out<float>(), {1, 4});

  OpHarness trailing(tflite::BuiltinOperator_STRIDED_SLICE);  // x[1:] of (3, 2): the last dim whole
  slice(trailing, {3, 2}, {1}, {3}, {1}, masks(0, 0));
  ASSERT_OK(trailing.run(strided_slice_shape, strided_slice_eval));
  EXPECT_EQ(trailing.out_shape(), (Shape{2, 2}));
  expect_near(trailing.out<float>(), {2, 3, 4, 5});
}

TEST(ShapeOpsTest, StridedSliceOffsetTreatsEndAsSize) {
  OpHarness h(tflite::BuiltinOperator_STRIDED_SLICE);
  slice(h, {2, 6}, {0, 2}, {2, 3}, {1, 1}, masks(0, 0, 0, 0, 0, /*offset=*/true));
  ASSERT_OK(h.run(strided_slice_shape, strided_slice_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 3}));
  expect_near(h.out<float>(), {2, 3, 4, 8, 9, 10});

  // The shape does not need begin's value.
  OpHarness stat(tflite::BuiltinOperator_STRIDED_SLICE);
  stat.f32({2, 6}, iota_f(12)).unknown(DType::kInt32, {2}).i32({2}, {2, 3}).i32({2}, {1, 1});
  stat.output(DType::kFloat32).options(masks(0, 0, 0, 0, 0, true));
  ASSERT_OK(stat.shape(strided_slice_shape));
  EXPECT_EQ(stat.out_shape(), (Shape{2, 3}));

  OpHarness past(tflite::BuiltinOperator_STRIDED_SLICE);
  slice(past, {2, 6}, {0, 4}, {2, 3}, {1, 1}, masks(0, 0, 0, 0, 0, true));
  expect_error(past.shape(strided_slice_shape), "slice visits");
}

TEST(ShapeOpsTest, StridedSliceErrors) {
  OpHarness zero(tflite::BuiltinOperator_STRIDED_SLICE);
  slice(zero, {4}, {0}, {4}, {0}, masks(0, 0));
  expect_error(zero.shape(strided_slice_shape), "is invalid");

  OpHarness lengths(tflite::BuiltinOperator_STRIDED_SLICE);
  lengths.f32({4}, iota_f(4)).i32({1}, {0}).i32({2}, {1, 1}).i32({1}, {1}).output(DType::kFloat32);
  expect_error(lengths.shape(strided_slice_shape), "same length");

  OpHarness unknown(tflite::BuiltinOperator_STRIDED_SLICE);
  unknown.f32({4}, iota_f(4)).unknown(DType::kInt32, {1}).i32({1}, {2}).i32({1}, {1}).output(DType::kFloat32);
  EXPECT_FALSE(unknown.shape(strided_slice_shape).is_ok());
  EXPECT_TRUE(unknown.value_missing());
}

// ---- SLICE ------------------------------------------------------------------

TEST(ShapeOpsTest, SliceWithSizeToEnd) {
  OpHarness h(tflite::BuiltinOperator_SLICE);
  h.f32({3, 4}, iota_f(12)).i64({2}, {1, 1}).i64({2}, {2, -1}).output(DType::kFloat32);
  ASSERT_OK(h.run(slice_shape, slice_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 3}));
  expect_near(h.out<float>(), {5, 6, 7, 9, 10, 11});
}

TEST(ShapeOpsTest, SliceRejectsOutOfRange) {
  OpHarness h(tflite::BuiltinOperator_SLICE);
  h.f32({3, 4}, iota_f(12)).i32({2}, {2, 0}).i32({2}, {2, 4}).output(DType::kFloat32);
  expect_error(h.shape(slice_shape), "out of range for dim 0");

  OpHarness types(tflite::BuiltinOperator_SLICE);
  types.f32({3}, iota_f(3)).i32({1}, {0}).i64({1}, {1}).output(DType::kFloat32);
  expect_error(types.shape(slice_shape), "begin has dtype int32 but size has dtype int64");
}

// ---- CONCATENATION ----------------------------------------------------------

tflite::ConcatenationOptionsT concat_axis(int axis,
                                          tflite::ActivationFunctionType act = tflite::ActivationFunctionType_NONE) {
  tflite::ConcatenationOptionsT o;
  o.axis = axis;
  o.fused_activation_function = act;
  return o;
}

TEST(ShapeOpsTest, ConcatenationNegativeAxis) {
  OpHarness h(tflite::BuiltinOperator_CONCATENATION);
  h.f32({2, 1}, {1, 2}).f32({2, 2}, {3, 4, 5, 6}).output(DType::kFloat32).options(concat_axis(-1));
  ASSERT_OK(h.run(concatenation_shape, concatenation_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 3}));
  expect_near(h.out<float>(), {1, 3, 4, 2, 5, 6});
}

TEST(ShapeOpsTest, ConcatenationFusedRelu6OnFloat) {
  OpHarness h(tflite::BuiltinOperator_CONCATENATION);
  h.f32({2}, {-1, 3}).f32({1}, {9}).output(DType::kFloat32).options(
      concat_axis(0, tflite::ActivationFunctionType_RELU6));
  ASSERT_OK(h.run(concatenation_shape, concatenation_eval));
  expect_near(h.out<float>(), {0, 3, 6});
}

TEST(ShapeOpsTest, ConcatenationInt8AndScalars) {
  OpHarness h(tflite::BuiltinOperator_CONCATENATION);
  h.input<int8_t>(DType::kInt8, {1, 2}, {1, 2}).input<int8_t>(DType::kInt8, {1, 2}, {3, 4});
  h.output(DType::kInt8).options(concat_axis(0));
  ASSERT_OK(h.run(concatenation_shape, concatenation_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 2}));
  EXPECT_EQ(h.out<int8_t>(), (std::vector<int8_t>{1, 2, 3, 4}));

  OpHarness s(tflite::BuiltinOperator_CONCATENATION);
  s.i32({}, {7}).i32({}, {8}).i32({}, {9}).output(DType::kInt32).options(concat_axis(0));
  ASSERT_OK(s.run(concatenation_shape, concatenation_eval));
  EXPECT_EQ(s.out_shape(), (Shape{3}));
  EXPECT_EQ(s.out<int32_t>(), (std::vector<int32_t>{7, 8, 9}));
}

TEST(ShapeOpsTest, ConcatenationErrors) {
  OpHarness dims(tflite::BuiltinOperator_CONCATENATION);
  dims.f32({2, 1}, {1, 2}).f32({3, 1}, {3, 4, 5}).output(DType::kFloat32).options(concat_axis(1));
  expect_error(dims.shape(concatenation_shape), "incompatible");

  OpHarness act(tflite::BuiltinOperator_CONCATENATION);
  act.i32({1}, {1}).i32({1}, {2}).output(DType::kInt32).options(concat_axis(0, tflite::ActivationFunctionType_RELU));
  expect_error(act.shape(concatenation_shape), "fused activation needs float32");

  OpHarness dtype(tflite::BuiltinOperator_CONCATENATION);
  dtype.f32({1}, {1}).i32({1}, {2}).output(DType::kFloat32).options(concat_axis(0));
  expect_error(dtype.shape(concatenation_shape), "has dtype int32");

  OpHarness quant(tflite::BuiltinOperator_CONCATENATION);
  quant.input<int8_t>(DType::kInt8, {1}, {1}).quantized(0.5f, 0);
  quant.input<int8_t>(DType::kInt8, {1}, {2}).quantized(0.25f, 0);
  quant.output(DType::kInt8).quantized(0.5f, 0).options(concat_axis(0));
  EXPECT_TRUE(quant.shape(concatenation_shape).is_ok());  // rescaled to the output's quantization

  OpHarness unquant(tflite::BuiltinOperator_CONCATENATION);
  unquant.input<int8_t>(DType::kInt8, {1}, {1}).quantized(0.5f, 0);
  unquant.input<int8_t>(DType::kInt8, {1}, {2});
  unquant.output(DType::kInt8).quantized(0.5f, 0).options(concat_axis(0));
  expect_error(unquant.shape(concatenation_shape), "has no quantization parameters");
}

// ---- SPLIT ------------------------------------------------------------------

tflite::SplitOptionsT splits(int n) {
  tflite::SplitOptionsT o;
  o.num_splits = n;
  return o;
}

TEST(ShapeOpsTest, SplitAlongNegativeAxis) {
  OpHarness h(tflite::BuiltinOperator_SPLIT);
  h.i32({}, {-1}).f32({2, 4}, iota_f(8)).output(DType::kFloat32).output(DType::kFloat32).options(splits(2));
  ASSERT_OK(h.run(split_shape, split_eval));
  EXPECT_EQ(h.out_shape(0), (Shape{2, 2}));
  EXPECT_EQ(h.out_shape(1), (Shape{2, 2}));
  expect_near(h.out<float>(0), {0, 1, 4, 5});
  expect_near(h.out<float>(1), {2, 3, 6, 7});
}

TEST(ShapeOpsTest, SplitErrors) {
  OpHarness uneven(tflite::BuiltinOperator_SPLIT);
  uneven.i32({}, {1}).f32({2, 3}, iota_f(6)).output(DType::kFloat32).output(DType::kFloat32).options(splits(2));
  expect_error(uneven.shape(split_shape), "does not split evenly");

  OpHarness outs(tflite::BuiltinOperator_SPLIT);
  outs.i32({}, {0}).f32({4}, iota_f(4)).output(DType::kFloat32).options(splits(2));
  expect_error(outs.shape(split_shape), "expected 2 outputs");
}

// ---- GATHER -----------------------------------------------------------------

tflite::GatherOptionsT gather_opts(int axis, int batch_dims = 0) {
  tflite::GatherOptionsT o;
  o.axis = axis;
  o.batch_dims = batch_dims;
  return o;
}

TEST(ShapeOpsTest, GatherAlongAxisWithMatrixIndices) {
  OpHarness h(tflite::BuiltinOperator_GATHER);
  h.f32({2, 3}, iota_f(6)).i64({2, 2}, {2, 0, 1, 1}).output(DType::kFloat32).options(gather_opts(-1));
  ASSERT_OK(h.run(gather_shape, gather_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 2, 2}));
  // output[a, i, j] = x[a, idx[i, j]]
  expect_near(h.out<float>(), {2, 0, 1, 1, 5, 3, 4, 4});
}

TEST(ShapeOpsTest, GatherWithBatchDims) {
  OpHarness h(tflite::BuiltinOperator_GATHER);
  h.f32({2, 3}, iota_f(6)).i32({2, 2}, {0, 2, 1, 1}).output(DType::kFloat32).options(gather_opts(1, 1));
  ASSERT_OK(h.run(gather_shape, gather_eval));
  EXPECT_EQ(h.out_shape(), (Shape{2, 2}));
  expect_near(h.out<float>(), {0, 2, 4, 4});

  OpHarness neg(tflite::BuiltinOperator_GATHER);  // batch_dims -1 with rank-2 indices means 1
  neg.f32({2, 3}, iota_f(6)).i32({2, 1}, {1, 2}).output(DType::kFloat32).options(gather_opts(1, -1));
  ASSERT_OK(neg.run(gather_shape, gather_eval));
  EXPECT_EQ(neg.out_shape(), (Shape{2, 1}));
  expect_near(neg.out<float>(), {1, 5});
}

TEST(ShapeOpsTest, GatherInt16IndicesOnBoolInput) {
  OpHarness h(tflite::BuiltinOperator_GATHER);
  h.input<uint8_t>(DType::kBool, {4}, {1, 0, 0, 1}).input<int16_t>(DType::kInt16, {3}, {3, 1, 0});
  h.output(DType::kBool);
  ASSERT_OK(h.run(gather_shape, gather_eval));
  EXPECT_EQ(h.out<uint8_t>(), (std::vector<uint8_t>{1, 0, 1}));
}

TEST(ShapeOpsTest, GatherRejectsBadIndices) {
  OpHarness high(tflite::BuiltinOperator_GATHER);
  high.f32({3}, iota_f(3)).i32({1}, {3}).output(DType::kFloat32);
  expect_error(high.run(gather_shape, gather_eval), "index 3 is out of range");

  OpHarness negative(tflite::BuiltinOperator_GATHER);
  negative.f32({3}, iota_f(3)).i32({1}, {-1}).output(DType::kFloat32);
  expect_error(negative.run(gather_shape, gather_eval), "index -1 is out of range");

  OpHarness batch(tflite::BuiltinOperator_GATHER);
  batch.f32({2, 3}, iota_f(6)).i32({3, 1}, {0, 0, 0}).output(DType::kFloat32).options(gather_opts(1, 1));
  expect_error(batch.shape(gather_shape), "batch dim 0 differs");

  OpHarness idx_type(tflite::BuiltinOperator_GATHER);
  idx_type.f32({3}, iota_f(3)).f32({1}, {0}).output(DType::kFloat32);
  EXPECT_EQ(idx_type.shape(gather_shape).code(), StatusCode::kUnsupported);
}

// ---- RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR ------------------------------

// Naive double-precision bilinear resize with TFLite's coordinate rule.
std::vector<double> naive_bilinear(const std::vector<float>& x, int n, int h, int w, int c, int oh, int ow,
                                   bool align, bool half) {
  auto scale = [&](int in, int out) { return align && out > 1 ? double(in - 1) / (out - 1) : double(in) / out; };
  auto src = [&](int v, double s) { return half ? (v + 0.5) * s - 0.5 : v * s; };
  std::vector<double> out;
  for (int b = 0; b < n; ++b) {
    for (int y = 0; y < oh; ++y) {
      const double sy = src(y, scale(h, oh));
      const int y0 = std::max(0, int(std::floor(sy))), y1 = std::min(int(std::ceil(sy)), h - 1);
      for (int xo = 0; xo < ow; ++xo) {
        const double sx = src(xo, scale(w, ow));
        const int x0 = std::max(0, int(std::floor(sx))), x1 = std::min(int(std::ceil(sx)), w - 1);
        for (int ch = 0; ch < c; ++ch) {
          auto at = [&](int yy, int xx) { return double(x[((b * h + yy) * w + xx) * c + ch]); };
          const double dy = sy - y0, dx = sx - x0;
          out.push_back(at(y0, x0) * (1 - dy) * (1 - dx) + at(y1, x0) * dy * (1 - dx) + at(y0, x1) * (1 - dy) * dx +
                        at(y1, x1) * dy * dx);
        }
      }
    }
  }
  return out;
}

tflite::ResizeBilinearOptionsT bilinear(bool align, bool half) {
  tflite::ResizeBilinearOptionsT o;
  o.align_corners = align;
  o.half_pixel_centers = half;
  return o;
}

TEST(ShapeOpsTest, ResizeBilinearAlignCornersByHand) {
  OpHarness h(tflite::BuiltinOperator_RESIZE_BILINEAR);
  h.f32({1, 2, 2, 1}, {1, 2, 3, 4}).i32({2}, {3, 3}).output(DType::kFloat32).options(bilinear(true, false));
  ASSERT_OK(h.run(resize_bilinear_shape, resize_bilinear_eval));
  EXPECT_EQ(h.out_shape(), (Shape{1, 3, 3, 1}));
  expect_near(h.out<float>(), {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4});
}

TEST(ShapeOpsTest, ResizeBilinearMatchesNaiveFormula) {
  const std::vector<float> x = iota_f(2 * 3 * 5 * 2, -7.25f);  // (2, 3, 5, 2)
  for (bool align : {false, true}) {
    for (bool half : {false, true}) {
      if (align && half) continue;
      for (auto [oh, ow] : {std::pair{7, 4}, std::pair{2, 9}, std::pair{1, 1}}) {
        SCOPED_TRACE(::testing::Message() << "align " << align << " half " << half << " " << oh << "x" << ow);
        OpHarness h(tflite::BuiltinOperator_RESIZE_BILINEAR);
        h.f32({2, 3, 5, 2}, x).i32({2}, {oh, ow}).output(DType::kFloat32).options(bilinear(align, half));
        ASSERT_OK(h.run(resize_bilinear_shape, resize_bilinear_eval));
        EXPECT_EQ(h.out_shape(), (Shape{2, oh, ow, 2}));
        expect_near(h.out<float>(), naive_bilinear(x, 2, 3, 5, 2, oh, ow, align, half), 1e-5);
      }
    }
  }
}

TEST(ShapeOpsTest, ResizeBilinearErrors) {
  OpHarness both(tflite::BuiltinOperator_RESIZE_BILINEAR);
  both.f32({1, 2, 2, 1}, iota_f(4)).i32({2}, {3, 3}).output(DType::kFloat32).options(bilinear(true, true));
  expect_error(both.shape(resize_bilinear_shape), "cannot both be set");

  OpHarness rank(tflite::BuiltinOperator_RESIZE_BILINEAR);
  rank.f32({2, 2}, iota_f(4)).i32({2}, {3, 3}).output(DType::kFloat32);
  expect_error(rank.shape(resize_bilinear_shape), "must have rank 4");

  OpHarness zero(tflite::BuiltinOperator_RESIZE_BILINEAR);
  zero.f32({1, 2, 2, 1}, iota_f(4)).i32({2}, {0, 3}).output(DType::kFloat32);
  expect_error(zero.shape(resize_bilinear_shape), "at least 1");
}

// Resizes a (1, 1, in_w, 1) int8 row 0, 1, 2, ... to out_w columns.
std::vector<int8_t> nearest_row(int in_w, int out_w, bool align, bool half) {
  std::vector<int8_t> x(in_w);
  std::iota(x.begin(), x.end(), 0);
  tflite::ResizeNearestNeighborOptionsT o;
  o.align_corners = align;
  o.half_pixel_centers = half;
  OpHarness h(tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR);
  h.input<int8_t>(DType::kInt8, {1, 1, in_w, 1}, x).i32({2}, {1, out_w}).output(DType::kInt8).options(o);
  EXPECT_OK(h.run(resize_nearest_neighbor_shape, resize_nearest_neighbor_eval));
  EXPECT_EQ(h.out_shape(), (Shape{1, 1, out_w, 1}));
  return h.out<int8_t>();
}

TEST(ShapeOpsTest, ResizeNearestNeighborSourceIndices) {
  using V = std::vector<int8_t>;
  EXPECT_EQ(nearest_row(4, 3, false, false), (V{0, 1, 2}));        // floor(x * 4/3)
  EXPECT_EQ(nearest_row(4, 3, false, true), (V{0, 2, 3}));         // floor((x + .5) * 4/3)
  EXPECT_EQ(nearest_row(4, 3, true, false), (V{0, 2, 3}));         // round(x * 3/2), halves away from 0
  EXPECT_EQ(nearest_row(3, 5, true, false), (V{0, 1, 1, 2, 2}));   // round(x * 1/2): 0.5 -> 1, 1.5 -> 2
  EXPECT_EQ(nearest_row(2, 5, false, true), (V{0, 0, 1, 1, 1}));   // floor((x + .5) * 0.4)
  EXPECT_EQ(nearest_row(3, 4, true, true), (V{0, 1, 2, 2}));       // round((x + .5) * 2/3), capped at 2
}

TEST(ShapeOpsTest, ResizeNearestNeighborCopiesChannels) {
  OpHarness h(tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR);
  h.f32({1, 2, 1, 2}, {1, 2, 3, 4}).i32({2}, {4, 2}).output(DType::kFloat32);
  ASSERT_OK(h.run(resize_nearest_neighbor_shape, resize_nearest_neighbor_eval));
  EXPECT_EQ(h.out_shape(), (Shape{1, 4, 2, 2}));
  expect_near(h.out<float>(), {1, 2, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 3, 4});
}

// ---- DEPTH_TO_SPACE / SPACE_TO_DEPTH ----------------------------------------

tflite::DepthToSpaceOptionsT d2s(int bs) {
  tflite::DepthToSpaceOptionsT o;
  o.block_size = bs;
  return o;
}
tflite::SpaceToDepthOptionsT s2d(int bs) {
  tflite::SpaceToDepthOptionsT o;
  o.block_size = bs;
  return o;
}

TEST(ShapeOpsTest, DepthToSpaceDcrOrder) {
  OpHarness h(tflite::BuiltinOperator_DEPTH_TO_SPACE);
  const std::vector<float> x = iota_f(16);  // (1, 1, 2, 8): out depth 2
  h.f32({1, 1, 2, 8}, x).output(DType::kFloat32).options(d2s(2));
  ASSERT_OK(h.run(depth_to_space_shape, depth_to_space_eval));
  EXPECT_EQ(h.out_shape(), (Shape{1, 2, 4, 2}));
  // output[0, dy, w * 2 + dx, c] = x[0, 0, w, (dy * 2 + dx) * 2 + c]
  std::vector<double> want;
  for (int dy = 0; dy < 2; ++dy) {
    for (int xo = 0; xo < 4; ++xo) {
      for (int c = 0; c < 2; ++c) want.push_back(x[(xo / 2) * 8 + (dy * 2 + xo % 2) * 2 + c]);
    }
  }
  expect_near(h.out<float>(), want);
}

TEST(ShapeOpsTest, SpaceToDepthByHandAndRoundTrip) {
  OpHarness h(tflite::BuiltinOperator_SPACE_TO_DEPTH);
  h.i32({1, 2, 2, 1}, {1, 2, 3, 4}).output(DType::kInt32).options(s2d(2));
  ASSERT_OK(h.run(space_to_depth_shape, space_to_depth_eval));
  EXPECT_EQ(h.out_shape(), (Shape{1, 1, 1, 4}));
  EXPECT_EQ(h.out<int32_t>(), (std::vector<int32_t>{1, 2, 3, 4}));

  const std::vector<float> x = iota_f(2 * 4 * 6 * 3);  // (2, 4, 6, 3)
  OpHarness down(tflite::BuiltinOperator_SPACE_TO_DEPTH);
  down.f32({2, 4, 6, 3}, x).output(DType::kFloat32).options(s2d(2));
  ASSERT_OK(down.run(space_to_depth_shape, space_to_depth_eval));
  EXPECT_EQ(down.out_shape(), (Shape{2, 2, 3, 12}));
  OpHarness up(tflite::BuiltinOperator_DEPTH_TO_SPACE);
  up.f32({2, 2, 3, 12}, down.out<float>()).output(DType::kFloat32).options(d2s(2));
  ASSERT_OK(up.run(depth_to_space_shape, depth_to_space_eval));
  EXPECT_EQ(up.out<float>(), x);
}

TEST(ShapeOpsTest, BlockSizeErrors) {
  OpHarness depth(tflite::BuiltinOperator_DEPTH_TO_SPACE);
  depth.f32({1, 1, 1, 6}, iota_f(6)).output(DType::kFloat32).options(d2s(2));
  expect_error(depth.shape(depth_to_space_shape), "not a multiple");

  OpHarness space(tflite::BuiltinOperator_SPACE_TO_DEPTH);
  space.f32({1, 3, 2, 1}, iota_f(6)).output(DType::kFloat32).options(s2d(2));
  expect_error(space.shape(space_to_depth_shape), "multiples of block_size");

  OpHarness none(tflite::BuiltinOperator_SPACE_TO_DEPTH);
  none.f32({1, 2, 2, 1}, iota_f(4)).output(DType::kFloat32);
  expect_error(none.shape(space_to_depth_shape), "block_size must be at least 1");
}

// ---- Shared validation ------------------------------------------------------

TEST(ShapeOpsTest, ErrorsNameTheOpAndOutput) {
  OpHarness h(tflite::BuiltinOperator_TRANSPOSE);
  h.f32({2}, {1, 2}).i32({1}, {0}).output(DType::kInt32);
  const Status s = h.shape(transpose_shape);
  expect_error(s, "TRANSPOSE (output 'out0')");
  expect_error(s, "has dtype int32 but input 0 ('in0') has dtype float32");
}

TEST(ShapeOpsTest, StringTensorsAreUnsupported) {
  OpHarness h(tflite::BuiltinOperator_RESHAPE);
  h.input<uint8_t>(DType::kString, {2}, {0, 0}).i32({1}, {2}).output(DType::kString);
  EXPECT_EQ(h.shape(reshape_shape).code(), StatusCode::kUnsupported);
}

// ---- Kernels directly -------------------------------------------------------

TEST(ShapeKernelTest, SliceAxisCount) {
  EXPECT_EQ(kernels::slice_axis_count({0, 10, 3}), 4);
  EXPECT_EQ(kernels::slice_axis_count({9, -1, -3}), 4);
  EXPECT_EQ(kernels::slice_axis_count({5, 5, 1}), 0);
  EXPECT_EQ(kernels::slice_axis_count({2, 5, -1}), 0);
}

TEST(ShapeKernelTest, PadFloat16ByBytes) {
  const std::vector<uint16_t> x = {0x3C00, 0x4000};  // 1.0, 2.0 in float16
  const uint16_t fill = 0x7E00;
  std::vector<uint16_t> out(4);
  const std::vector<int32_t> dims = {2}, before = {1}, after = {1};
  kernels::pad(x.data(), dims, before, after, &fill, sizeof(uint16_t), out.data());
  EXPECT_EQ(out, (std::vector<uint16_t>{0x7E00, 0x3C00, 0x4000, 0x7E00}));
}

}  // namespace
}  // namespace tfc::ops
