// The one table of Keras layer lowerings: class_name -> lowering function.
// Keras 3 and Keras 2 class names (their aliases included) map here; a class
// not in this table is named before any work (keras_config.cc).
// Not here: the lowerings themselves (keras_lower_layers.h).
#include <string_view>

#include "importers/keras/keras_lower_layers.h"

namespace tfc::importers::keras {
namespace {

struct Entry {
  std::string_view class_name;
  LowerFn fn;
};

constexpr Entry kLowerings[] = {
    {"Dense", lower_dense},
    {"EinsumDense", lower_einsum_dense},
    {"Embedding", lower_embedding},
    {"Conv1D", lower_conv1d},
    {"Conv2D", lower_conv2d},
    {"DepthwiseConv2D", lower_depthwise2d},
    {"SeparableConv1D", lower_separable1d},
    {"SeparableConv2D", lower_separable2d},
    {"Conv2DTranspose", lower_conv2d_transpose},
    {"BatchNormalization", lower_batch_norm},
    {"LayerNormalization", lower_layer_norm},
    {"Normalization", lower_normalization},
    {"Rescaling", lower_rescaling},
    {"Activation", lower_activation},
    {"ReLU", lower_relu},
    {"LeakyReLU", lower_leaky_relu},
    {"PReLU", lower_prelu},
    {"ELU", lower_elu},
    {"Softmax", lower_softmax},
    {"Gelu", lower_gelu},  // Keras 3 op layer; tf_keras TFOpLambda(nn.gelu) is parsed to it (keras_tf_op.cc)
    {"Add", lower_add},
    {"Subtract", lower_subtract},
    {"Multiply", lower_multiply},
    {"TrueDivide", lower_divide},  // Keras 3 op layers (`x / 6.0`); tf_keras tf.math.truediv
    {"Divide", lower_divide},
    {"Average", lower_average},
    {"Maximum", lower_maximum},
    {"Minimum", lower_minimum},
    {"Concatenate", lower_concatenate},
    {"Dot", lower_dot},
    {"MaxPooling1D", lower_max_pool1d},
    {"MaxPooling2D", lower_max_pool2d},
    {"AveragePooling1D", lower_avg_pool1d},
    {"AveragePooling2D", lower_avg_pool2d},
    {"GlobalAveragePooling1D", lower_global_avg_pool},
    {"GlobalAveragePooling2D", lower_global_avg_pool},
    {"GlobalMaxPooling1D", lower_global_max_pool},
    {"GlobalMaxPooling2D", lower_global_max_pool},
    {"Mean", lower_mean},  // Keras 3 op layer keras.ops.mean; tf_keras tf.math.reduce_mean
    {"Flatten", lower_flatten},
    {"Reshape", lower_reshape},
    {"Permute", lower_permute},
    {"RepeatVector", lower_repeat_vector},
    {"ZeroPadding1D", lower_zero_padding},
    {"ZeroPadding2D", lower_zero_padding},
    {"Cropping1D", lower_cropping},
    {"Cropping2D", lower_cropping},
    {"UpSampling1D", lower_upsampling1d},
    {"UpSampling2D", lower_upsampling2d},
    {"Resizing", lower_resizing},
    {"Dropout", lower_identity_in_inference},
    {"SpatialDropout1D", lower_identity_in_inference},
    {"SpatialDropout2D", lower_identity_in_inference},
    {"SpatialDropout3D", lower_identity_in_inference},
    {"GaussianNoise", lower_identity_in_inference},
    {"GaussianDropout", lower_identity_in_inference},
    {"AlphaDropout", lower_identity_in_inference},
    {"ActivityRegularization", lower_identity_in_inference},
};

}  // namespace

LowerFn find_lowering(const std::string& class_name) {
  for (const auto& e : kLowerings) {
    if (e.class_name == class_name) return e.fn;
  }
  return nullptr;
}

// InputLayer has no lowering of its own: the walk makes the graph inputs.
bool is_supported_layer(const std::string& class_name) {
  return class_name == "InputLayer" || find_lowering(class_name) != nullptr;
}

}  // namespace tfc::importers::keras
