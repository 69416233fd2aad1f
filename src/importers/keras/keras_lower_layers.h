// The Keras layer lowerings, one function per layer class (or family), listed
// in one table (keras_lower_table.cc) and defined by family:
// keras_lower_conv.cc, keras_lower_dense.cc, keras_lower_norm.cc,
// keras_lower_activation.cc, keras_lower_merge.cc, keras_lower_shape.cc,
// keras_lower_resample.cc.
// Not here: the walk over the model (keras_lower.cc).
#pragma once

#include "importers/keras/keras_lower_context.h"

namespace tfc::importers::keras {

#define TFC_KERAS_LOWERING(fn) \
  Expected<std::vector<ir::TensorId>> fn(LowerContext& c, const std::vector<ir::TensorId>& in);

// keras_lower_conv.cc
TFC_KERAS_LOWERING(lower_conv1d)
TFC_KERAS_LOWERING(lower_conv2d)
TFC_KERAS_LOWERING(lower_depthwise2d)
TFC_KERAS_LOWERING(lower_separable1d)
TFC_KERAS_LOWERING(lower_separable2d)
TFC_KERAS_LOWERING(lower_conv2d_transpose)
// keras_lower_dense.cc
TFC_KERAS_LOWERING(lower_dense)
TFC_KERAS_LOWERING(lower_einsum_dense)
TFC_KERAS_LOWERING(lower_embedding)
// keras_lower_norm.cc
TFC_KERAS_LOWERING(lower_batch_norm)
TFC_KERAS_LOWERING(lower_layer_norm)
TFC_KERAS_LOWERING(lower_normalization)
TFC_KERAS_LOWERING(lower_rescaling)
// keras_lower_activation.cc
TFC_KERAS_LOWERING(lower_activation)
TFC_KERAS_LOWERING(lower_relu)
TFC_KERAS_LOWERING(lower_leaky_relu)
TFC_KERAS_LOWERING(lower_prelu)
TFC_KERAS_LOWERING(lower_elu)
TFC_KERAS_LOWERING(lower_softmax)
TFC_KERAS_LOWERING(lower_gelu)
// keras_lower_merge.cc
TFC_KERAS_LOWERING(lower_add)
TFC_KERAS_LOWERING(lower_subtract)
TFC_KERAS_LOWERING(lower_multiply)
TFC_KERAS_LOWERING(lower_divide)
TFC_KERAS_LOWERING(lower_average)
TFC_KERAS_LOWERING(lower_maximum)
TFC_KERAS_LOWERING(lower_minimum)
TFC_KERAS_LOWERING(lower_concatenate)
TFC_KERAS_LOWERING(lower_dot)
// keras_lower_shape.cc
TFC_KERAS_LOWERING(lower_max_pool1d)
TFC_KERAS_LOWERING(lower_max_pool2d)
TFC_KERAS_LOWERING(lower_avg_pool1d)
TFC_KERAS_LOWERING(lower_avg_pool2d)
TFC_KERAS_LOWERING(lower_global_avg_pool)
TFC_KERAS_LOWERING(lower_global_max_pool)
TFC_KERAS_LOWERING(lower_mean)
TFC_KERAS_LOWERING(lower_flatten)
TFC_KERAS_LOWERING(lower_reshape)
TFC_KERAS_LOWERING(lower_permute)
TFC_KERAS_LOWERING(lower_repeat_vector)
// keras_lower_resample.cc
TFC_KERAS_LOWERING(lower_zero_padding)
TFC_KERAS_LOWERING(lower_cropping)
TFC_KERAS_LOWERING(lower_upsampling1d)
TFC_KERAS_LOWERING(lower_upsampling2d)
TFC_KERAS_LOWERING(lower_resizing)
TFC_KERAS_LOWERING(lower_identity_in_inference)

#undef TFC_KERAS_LOWERING

// `a` with its dims permuted (out dim i = in dim perm[i]).
Array transpose_array(const Array& a, const std::vector<int>& perm);

}  // namespace tfc::importers::keras
