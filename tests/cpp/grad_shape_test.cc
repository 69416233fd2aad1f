// Gradient rules of the shape and data-movement family (ops/shape_grad.cc)
// against central finite differences (grad_check.h), on random shapes and
// every option the forwards support.
#include <algorithm>
#include <string>
#include <utility>
#include <numeric>
#include <random>
#include <vector>

#include "grad_check.h"
#include "grad_random.h"

namespace tfc::test {
namespace {

using ir::Shape;

tflite::ReducerOptionsT reducer(bool keep_dims) {
  tflite::ReducerOptionsT o;
  o.keep_dims = keep_dims;
  return o;
}

TEST(GradShape, MeanAndSumOverAnyAxes) {
  std::mt19937 rng(11);
  for (auto code : {tflite::BuiltinOperator_MEAN, tflite::BuiltinOperator_SUM}) {
    for (int trial = 0; trial < 4; ++trial) {
      for (bool keep : {false, true}) {
        const Shape s = random_shape(rng, 1, 4);
        const std::vector<int32_t> axes = random_axes(rng, static_cast<int>(s.size()));
        SCOPED_TRACE(testing::Message() << "trial " << trial << " keep_dims " << keep);
        GradCheck g(code, 100 + trial);
        g.random(s);
        if (trial % 2) {
          g.i64({static_cast<int32_t>(axes.size())}, std::vector<int64_t>(axes.begin(), axes.end()));
        } else {
          g.i32({static_cast<int32_t>(axes.size())}, axes);
        }
        g.options(reducer(keep)).check();
      }
    }
  }
}

TEST(GradShape, MeanOfEverythingAndOfAScalar) {
  GradCheck all(tflite::BuiltinOperator_MEAN);
  all.random({2, 3, 2}).i32({3}, {0, 1, 2}).options(reducer(false)).check();
  EXPECT_TRUE(all.out_shape().empty());
  GradCheck scalar(tflite::BuiltinOperator_SUM);
  scalar.random({}).i32({0}, {}).options(reducer(true)).check();
}

TEST(GradShape, PadAndPadV2) {
  std::mt19937 rng(12);
  for (int trial = 0; trial < 4; ++trial) {
    const Shape s = random_shape(rng, 1, 4);
    std::vector<int32_t> pads;
    for (size_t d = 0; d < s.size(); ++d) {
      pads.push_back(uniform_int(rng, 0, 2));
      pads.push_back(uniform_int(rng, 0, 2));
    }
    const Shape pad_shape{static_cast<int32_t>(s.size()), 2};
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    GradCheck pad(tflite::BuiltinOperator_PAD, trial);
    pad.random(s);
    if (trial % 2) {
      pad.i64(pad_shape, std::vector<int64_t>(pads.begin(), pads.end()));
    } else {
      pad.i32(pad_shape, pads);
    }
    pad.check();
    // PADV2: the constant value is float32 but gets no gradient.
    GradCheck padv2(tflite::BuiltinOperator_PADV2, trial);
    padv2.random(s).i32(pad_shape, pads).f32({}, {0.75f}, /*wrt=*/false).check();
  }
}

tflite::ReshapeOptionsT new_shape(std::vector<int32_t> dims) {
  tflite::ReshapeOptionsT o;
  o.new_shape = std::move(dims);
  return o;
}

TEST(GradShape, ReshapeSqueezeExpandDims) {
  GradCheck reshape(tflite::BuiltinOperator_RESHAPE);
  reshape.random({2, 3, 2}).i32({2}, {-1, 4}).check();
  EXPECT_EQ(reshape.out_shape(), (Shape{3, 4}));
  GradCheck from_options(tflite::BuiltinOperator_RESHAPE);
  from_options.random({6}).options(new_shape({2, 3})).check();

  tflite::SqueezeOptionsT listed;
  listed.squeeze_dims = {-1, 1};
  GradCheck squeeze(tflite::BuiltinOperator_SQUEEZE);
  squeeze.random({3, 1, 2, 1}).options(listed).check();
  EXPECT_EQ(squeeze.out_shape(), (Shape{3, 2}));
  GradCheck squeeze_all(tflite::BuiltinOperator_SQUEEZE);
  squeeze_all.random({1, 2, 1}).check();

  for (int32_t axis : {0, 2, -1, -3}) {
    GradCheck expand(tflite::BuiltinOperator_EXPAND_DIMS);
    expand.random({2, 3}).i32({}, {axis}).check();
  }
}

TEST(GradShape, TransposeRandomPermutations) {
  std::mt19937 rng(13);
  for (int trial = 0; trial < 6; ++trial) {
    const Shape s = random_shape(rng, 1, 5);
    std::vector<int32_t> perm(s.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    GradCheck g(tflite::BuiltinOperator_TRANSPOSE, trial);
    g.random(s).i32({static_cast<int32_t>(perm.size())}, perm).check();
  }
}

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

void check_strided_slice(const Shape& in, const std::vector<int32_t>& begin, const std::vector<int32_t>& end,
                         const std::vector<int32_t>& strides, const tflite::StridedSliceOptionsT& o,
                         const Shape& expected_out) {
  const Shape spec{static_cast<int32_t>(begin.size())};
  GradCheck g(tflite::BuiltinOperator_STRIDED_SLICE);
  g.random(in).i32(spec, begin).i32(spec, end).i32(spec, strides).options(o).check();
  EXPECT_EQ(g.out_shape(), expected_out);
}

TEST(GradShape, StridedSliceMasks) {
  // x[1:3, ::2]
  check_strided_slice({4, 5}, {1, 0}, {3, 5}, {1, 2}, masks(0, 0), {2, 3});
  // Negative strides and indices: x[-1:0:-1, 3::-2]
  check_strided_slice({5, 4}, {-1, 3}, {0, 0}, {-1, -2}, masks(0, 2), {4, 2});
  // begin_mask / end_mask: x[:2, 1:]
  check_strided_slice({3, 4}, {7, 1}, {2, 7}, {1, 1}, masks(1, 2), {2, 3});
  // Ellipsis: x[..., 1:3]
  check_strided_slice({2, 3, 4}, {0, 1}, {0, 3}, {1, 1}, masks(0, 0, 1), {2, 3, 2});
  // New axis: x[newaxis, 1:3, :]
  check_strided_slice({3, 4}, {0, 1, 0}, {0, 3, 0}, {1, 1, 1}, masks(4, 4, 0, 1), {1, 2, 4});
  // Shrink: x[1, :, -1]
  check_strided_slice({3, 4, 2}, {1, 0, -1}, {2, 0, 0}, {1, 1, 1}, masks(2, 2, 0, 0, 5), {4});
  // Ellipsis, new axis and shrink together: x[..., newaxis, 2]
  check_strided_slice({2, 3, 4}, {0, 0, 2}, {0, 0, 3}, {1, 1, 1}, masks(0, 0, 1, 2, 4), {2, 3, 1});
  // offset: end holds sizes, x[1:1+2, 0:0+3]
  check_strided_slice({4, 3}, {1, 0}, {2, 3}, {1, 1}, masks(0, 0, 0, 0, 0, true), {2, 3});
}

TEST(GradShape, StridedSliceRandomSpecs) {
  std::mt19937 rng(14);
  for (int trial = 0; trial < 12; ++trial) {
    const Shape in = random_shape(rng, 1, 4, 5);
    std::vector<int32_t> begin, end, strides;
    int begin_mask = 0, end_mask = 0, shrink = 0;
    for (size_t d = 0; d < in.size(); ++d) {
      const int n = in[d];
      if (uniform_int(rng, 0, 4) == 0) {  // shrink to one index
        shrink |= 1 << d;
        begin.push_back(uniform_int(rng, -n, n - 1));
        end.push_back(0);
        strides.push_back(1);
        continue;
      }
      const int magnitude = uniform_int(rng, 1, 3);
      strides.push_back(uniform_int(rng, 0, 1) ? magnitude : -magnitude);
      begin.push_back(uniform_int(rng, -n - 1, n));
      end.push_back(uniform_int(rng, -n - 1, n));
      begin_mask |= uniform_int(rng, 0, 3) == 0 ? 1 << d : 0;
      end_mask |= uniform_int(rng, 0, 3) == 0 ? 1 << d : 0;
    }
    const Shape spec{static_cast<int32_t>(in.size())};
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    GradCheck g(tflite::BuiltinOperator_STRIDED_SLICE, trial);
    g.random(in);
    if (trial % 2) {
      g.i64(spec, std::vector<int64_t>(begin.begin(), begin.end()))
          .i64(spec, std::vector<int64_t>(end.begin(), end.end()))
          .i64(spec, std::vector<int64_t>(strides.begin(), strides.end()));
    } else {
      g.i32(spec, begin).i32(spec, end).i32(spec, strides);
    }
    g.options(masks(begin_mask, end_mask, 0, 0, shrink)).check();
  }
}

TEST(GradShape, Slice) {
  std::mt19937 rng(15);
  for (int trial = 0; trial < 5; ++trial) {
    const Shape in = random_shape(rng, 1, 4, 4);
    std::vector<int32_t> begin, size;
    for (int32_t n : in) {
      begin.push_back(uniform_int(rng, 0, n - 1));
      size.push_back(uniform_int(rng, 0, 2) == 0 ? -1 : uniform_int(rng, 1, n - begin.back()));
    }
    const Shape spec{static_cast<int32_t>(in.size())};
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    GradCheck g(tflite::BuiltinOperator_SLICE, trial);
    g.random(in);
    if (trial % 2) {
      g.i64(spec, std::vector<int64_t>(begin.begin(), begin.end()))
          .i64(spec, std::vector<int64_t>(size.begin(), size.end()));
    } else {
      g.i32(spec, begin).i32(spec, size);
    }
    g.check();
  }
}

tflite::ConcatenationOptionsT concat_axis(int axis,
                                          tflite::ActivationFunctionType act = tflite::ActivationFunctionType_NONE) {
  tflite::ConcatenationOptionsT o;
  o.axis = axis;
  o.fused_activation_function = act;
  return o;
}

TEST(GradShape, ConcatenationAnyAxis) {
  std::mt19937 rng(16);
  for (int trial = 0; trial < 6; ++trial) {
    const Shape first = random_shape(rng, 1, 4);
    const int rank = static_cast<int>(first.size());
    const int axis = uniform_int(rng, 0, rank - 1);
    const int num_inputs = uniform_int(rng, 1, 3);
    SCOPED_TRACE(testing::Message() << "trial " << trial << " axis " << axis);
    GradCheck g(tflite::BuiltinOperator_CONCATENATION, trial);
    for (int i = 0; i < num_inputs; ++i) {
      Shape s = first;
      s[axis] = uniform_int(rng, 1, 3);
      g.random(s, -1.0f, 1.0f, /*wrt=*/i != 1);  // input 1 wants no gradient
    }
    g.options(concat_axis(trial % 2 ? axis - rank : axis)).check();
  }
}

TEST(GradShape, ConcatenationOfScalars) {
  GradCheck g(tflite::BuiltinOperator_CONCATENATION);
  g.random({}).random({}).random({}).options(concat_axis(0)).check();
  EXPECT_EQ(g.out_shape(), (Shape{3}));
}

TEST(GradShape, ConcatenationFusedActivation) {
  std::mt19937 rng(17);
  const std::vector<std::pair<tflite::ActivationFunctionType, std::vector<float>>> acts = {
      {tflite::ActivationFunctionType_RELU, {0.0f}},
      {tflite::ActivationFunctionType_RELU6, {0.0f, 6.0f}},
      {tflite::ActivationFunctionType_RELU_N1_TO_1, {-1.0f, 1.0f}},
      {tflite::ActivationFunctionType_TANH, {}},
  };
  for (const auto& [act, kinks] : acts) {
    SCOPED_TRACE(testing::Message() << "activation " << static_cast<int>(act));
    GradCheck g(tflite::BuiltinOperator_CONCATENATION);
    g.f32({2, 3}, values_off_kinks(rng, 6, -2.0f, 7.0f, kinks));
    g.f32({2, 2}, values_off_kinks(rng, 4, -2.0f, 7.0f, kinks));
    g.options(concat_axis(1, act)).check();
  }
}

tflite::SplitOptionsT splits(int n) {
  tflite::SplitOptionsT o;
  o.num_splits = n;
  return o;
}

TEST(GradShape, SplitWithSomeOutputGradients) {
  std::mt19937 rng(18);
  for (int trial = 0; trial < 6; ++trial) {
    Shape in = random_shape(rng, 1, 4);
    const int rank = static_cast<int>(in.size());
    const int axis = uniform_int(rng, 0, rank - 1);
    const int n = uniform_int(rng, 1, 3);
    in[axis] *= n;
    SCOPED_TRACE(testing::Message() << "trial " << trial << " axis " << axis << " splits " << n);
    GradCheck g(tflite::BuiltinOperator_SPLIT, trial);
    g.i32({}, {trial % 2 ? axis - rank : axis}).random(in).options(splits(n)).outputs(n);
    if (n > 1) g.only_outputs({n - 1});  // the others: no gradient
    g.check();
  }
}

tflite::GatherOptionsT gather_opts(int axis, int batch_dims = 0) {
  tflite::GatherOptionsT o;
  o.axis = axis;
  o.batch_dims = batch_dims;
  return o;
}

TEST(GradShape, GatherEmbeddingRepeatedIndices) {
  // An embedding lookup: rows 1 and 3 picked several times accumulate.
  GradCheck g32(tflite::BuiltinOperator_GATHER);
  g32.random({6, 4}).i32({2, 3}, {1, 3, 1, 1, 5, 3}).options(gather_opts(0)).check();
  EXPECT_EQ(g32.out_shape(), (Shape{2, 3, 4}));
  GradCheck g64(tflite::BuiltinOperator_GATHER);
  g64.random({5, 3}).i64({4}, {4, 0, 4, 4}).options(gather_opts(0)).check();
}

TEST(GradShape, GatherAnyAxisAndBatchDims) {
  std::mt19937 rng(19);
  for (int trial = 0; trial < 6; ++trial) {
    const Shape in = random_shape(rng, 2, 4);
    const int rank = static_cast<int>(in.size());
    const int axis = uniform_int(rng, 1, rank - 1);
    const int batch_dims = uniform_int(rng, 0, std::min(axis, 1));
    Shape idx(in.begin(), in.begin() + batch_dims);  // the batch dims agree
    idx.push_back(uniform_int(rng, 1, 4));
    std::vector<int32_t> indices(static_cast<size_t>(ir::num_elements(idx)));
    for (int32_t& v : indices) v = uniform_int(rng, 0, in[axis] - 1);
    SCOPED_TRACE(testing::Message() << "trial " << trial << " axis " << axis << " batch_dims " << batch_dims);
    GradCheck g(tflite::BuiltinOperator_GATHER, trial);
    // Negative forms: axis - rank, batch_dims - indices rank.
    const int batch_opt = trial % 2 && batch_dims > 0 ? batch_dims - static_cast<int>(idx.size()) : batch_dims;
    g.random(in).i32(idx, indices).options(gather_opts(trial % 2 ? axis - rank : axis, batch_opt)).check();
  }
}

template <typename Options>
Options resize_opts(bool align_corners, bool half_pixel_centers) {
  Options o;
  o.align_corners = align_corners;
  o.half_pixel_centers = half_pixel_centers;
  return o;
}

TEST(GradShape, ResizeBilinearOptionsAndScales) {
  std::mt19937 rng(20);
  // align_corners with half_pixel_centers is refused by the forward.
  const std::vector<std::pair<bool, bool>> combos = {{false, false}, {true, false}, {false, true}};
  for (const auto& [align, half] : combos) {
    for (const auto& [oh, ow] : std::vector<std::pair<int, int>>{{5, 7}, {2, 3}, {1, 4}}) {
      SCOPED_TRACE(testing::Message() << "align " << align << " half " << half << " to " << oh << "x" << ow);
      GradCheck g(tflite::BuiltinOperator_RESIZE_BILINEAR, static_cast<uint32_t>(oh * 10 + ow));
      g.random({uniform_int(rng, 1, 2), 3, 4, uniform_int(rng, 1, 2)}).i32({2}, {oh, ow});
      g.options(resize_opts<tflite::ResizeBilinearOptionsT>(align, half)).check();
    }
  }
  GradCheck no_options(tflite::BuiltinOperator_RESIZE_BILINEAR);
  no_options.random({1, 2, 3, 1}).i32({2}, {3, 5}).check();
}

TEST(GradShape, ResizeNearestNeighborOptionsAndScales) {
  std::mt19937 rng(21);
  for (bool align : {false, true}) {
    for (bool half : {false, true}) {
      for (const auto& [oh, ow] : std::vector<std::pair<int, int>>{{5, 7}, {2, 3}, {1, 4}}) {
        SCOPED_TRACE(testing::Message() << "align " << align << " half " << half << " to " << oh << "x" << ow);
        GradCheck g(tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, static_cast<uint32_t>(oh * 10 + ow));
        g.random({uniform_int(rng, 1, 2), 3, 4, uniform_int(rng, 1, 2)}).i32({2}, {oh, ow});
        g.options(resize_opts<tflite::ResizeNearestNeighborOptionsT>(align, half)).check();
      }
    }
  }
}

TEST(GradShape, DepthToSpaceAndSpaceToDepth) {
  for (int bs : {1, 2, 3}) {
    SCOPED_TRACE(testing::Message() << "block_size " << bs);
    tflite::DepthToSpaceOptionsT d2s;
    d2s.block_size = bs;
    GradCheck to_space(tflite::BuiltinOperator_DEPTH_TO_SPACE, bs);
    to_space.random({2, 2, 1, 2 * bs * bs}).options(d2s).check();
    tflite::SpaceToDepthOptionsT s2d;
    s2d.block_size = bs;
    GradCheck to_depth(tflite::BuiltinOperator_SPACE_TO_DEPTH, bs);
    to_depth.random({2, 2 * bs, bs, 2}).options(s2d).check();
  }
}

// A gradient asked for input `wrt` of a one-output op with these inputs: the
// status the op's rule returns.
Status grad_status(tflite::BuiltinOperator code, std::vector<ir::Tensor> tensors, int wrt) {
  ir::Op op;
  op.code.builtin = code;
  std::vector<std::vector<int64_t>> storage;  // zeros, wide enough for any dtype
  std::vector<ops::TensorSlot> slots;
  for (const ir::Tensor& t : tensors) {
    storage.emplace_back(static_cast<size_t>(ir::num_elements(t.shape)) + 1, 0);
    slots.push_back({&t, t.shape, storage.back().data()});
  }
  std::vector<ops::TensorSlot*> inputs;
  for (size_t i = 0; i + 1 < slots.size(); ++i) inputs.push_back(&slots[i]);
  ops::OpContext fwd(op, inputs, {&slots.back()}, kernels::kDefaultRequantization);
  std::vector<float> dy(static_cast<size_t>(ir::num_elements(tensors.back().shape)), 1.0f);
  std::vector<float> dx(static_cast<size_t>(ir::num_elements(tensors[static_cast<size_t>(wrt)].shape)), 0.0f);
  std::vector<float*> dxs(inputs.size(), nullptr);
  dxs[static_cast<size_t>(wrt)] = dx.data();
  const std::vector<const float*> dys = {dy.data()};
  std::vector<float> scratch;
  ops::GradContext g(fwd, dys, dxs, &scratch);
  return ops::find_op(code)->grad(g);
}

ir::Tensor tensor(const char* name, DType dtype, Shape shape) {
  ir::Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  return t;
}

TEST(GradShape, NonFloatInputsHaveNoGradient) {
  // GATHER's indices.
  const Status indices = grad_status(tflite::BuiltinOperator_GATHER,
                                     {tensor("table", DType::kFloat32, {3, 2}), tensor("ids", DType::kInt32, {2}),
                                      tensor("rows", DType::kFloat32, {2, 2})},
                                     1);
  EXPECT_EQ(indices.code(), StatusCode::kUnsupported);
  EXPECT_NE(indices.message().find("GATHER"), std::string::npos) << indices.message();
  EXPECT_NE(indices.message().find("'ids'"), std::string::npos) << indices.message();
  // Integer data (a TRANSPOSE of int8).
  const Status data = grad_status(tflite::BuiltinOperator_TRANSPOSE,
                                  {tensor("q", DType::kInt8, {2, 3}), tensor("perm", DType::kInt32, {2}),
                                   tensor("qt", DType::kInt8, {3, 2})},
                                  0);
  EXPECT_EQ(data.code(), StatusCode::kUnsupported);
  EXPECT_NE(data.message().find("int8"), std::string::npos) << data.message();
}

}  // namespace
}  // namespace tfc::test
