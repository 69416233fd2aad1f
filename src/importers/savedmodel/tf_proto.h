// Reading TensorFlow protobuf messages safely: parsing bytes with a total
// size limit and a nesting limit (a bad length or deep nesting is an
// InvalidArgument, never a crash), and turning the messages' dtypes, shapes
// and constant tensors into tfcompress values with every size checked.
// Not here: which messages a SavedModel holds (savedmodel.cc), the tensor
// bundle (tensor_bundle.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <google/protobuf/message_lite.h>

#include "core/array.h"
#include "core/status.h"
#include "tf_graph.pb.h"

namespace tfc::importers::savedmodel {

// Deepest message nesting accepted (attribute lists of functions nest a few levels).
inline constexpr int kMaxProtoNesting = 64;

// Parses `bytes` into `message`; `what` names the input in errors.
Status parse_proto(std::span<const uint8_t> bytes, google::protobuf::MessageLite& message, const std::string& what);

// A TensorFlow dtype as ours; Unsupported naming the dtype otherwise.
Expected<DType> dtype_from_tf(int tf_dtype);
std::string tf_dtype_name(int tf_dtype);

// A fully known shape (every dim >= 0, at most 2^31-1 each, element count
// within int64); InvalidArgument otherwise.
Expected<std::vector<int64_t>> static_shape(const tfproto::TensorShapeProto& shape, const std::string& what);

// Byte size of `shape` in `dtype` without overflow (InvalidArgument past 2^40 bytes).
Expected<int64_t> byte_size(DType dtype, const std::vector<int64_t>& shape, const std::string& what);

// A Const node's value: tensor_content, or the typed values (one value fills the shape).
Expected<Array> array_from_tensor_proto(const tfproto::TensorProto& t, const std::string& what);

}  // namespace tfc::importers::savedmodel
