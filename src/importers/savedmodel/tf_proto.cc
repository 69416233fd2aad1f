#include "importers/savedmodel/tf_proto.h"

#include <algorithm>
#include <limits>

#include <google/protobuf/io/coded_stream.h>

namespace tfc::importers::savedmodel {

Status parse_proto(std::span<const uint8_t> bytes, google::protobuf::MessageLite& message, const std::string& what) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return invalid_argument("{}: {} bytes is more than a protobuf message may hold", what, bytes.size());
  }
  google::protobuf::io::CodedInputStream in(bytes.data(), static_cast<int>(bytes.size()));
  in.SetTotalBytesLimit(static_cast<int>(bytes.size()));
  in.SetRecursionLimit(kMaxProtoNesting);
  if (!message.MergeFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    return invalid_argument("{}: not a valid {} protobuf (bad field length, wire type or nesting deeper than {})",
                            what, message.GetTypeName(), kMaxProtoNesting);
  }
  return Status::ok();
}

Expected<DType> dtype_from_tf(int tf_dtype) {
  switch (tf_dtype) {
    case tfproto::DT_FLOAT: return DType::kFloat32;
    case tfproto::DT_DOUBLE: return DType::kFloat64;
    case tfproto::DT_INT32: return DType::kInt32;
    case tfproto::DT_UINT8: return DType::kUInt8;
    case tfproto::DT_INT16: return DType::kInt16;
    case tfproto::DT_INT8: return DType::kInt8;
    case tfproto::DT_INT64: return DType::kInt64;
    case tfproto::DT_BOOL: return DType::kBool;
    case tfproto::DT_HALF: return DType::kFloat16;
    case tfproto::DT_BFLOAT16: return DType::kBFloat16;
    case tfproto::DT_UINT16: return DType::kUInt16;
    case tfproto::DT_UINT32: return DType::kUInt32;
    case tfproto::DT_UINT64: return DType::kUInt64;
    default: return unsupported("TensorFlow dtype {} is not supported", tf_dtype_name(tf_dtype));
  }
}

std::string tf_dtype_name(int tf_dtype) {
  if (tfproto::DataType_IsValid(tf_dtype)) return tfproto::DataType_Name(static_cast<tfproto::DataType>(tf_dtype));
  return fmt::format("#{}", tf_dtype);
}

Expected<std::vector<int64_t>> static_shape(const tfproto::TensorShapeProto& shape, const std::string& what) {
  if (shape.unknown_rank()) return invalid_argument("{}: shape of unknown rank", what);
  std::vector<int64_t> dims;
  int64_t count = 1;
  for (const auto& d : shape.dim()) {
    if (d.size() < 0 || d.size() > std::numeric_limits<int32_t>::max()) {
      return invalid_argument("{}: dim {} is not a static size", what, d.size());
    }
    if (d.size() != 0 && count > std::numeric_limits<int64_t>::max() / d.size()) {
      return invalid_argument("{}: shape element count overflows", what);
    }
    count *= d.size();
    dims.push_back(d.size());
  }
  return dims;
}

Expected<int64_t> byte_size(DType dtype, const std::vector<int64_t>& shape, const std::string& what) {
  constexpr int64_t kMaxBytes = int64_t{1} << 40;
  const auto elem = static_cast<int64_t>(dtype_size(dtype));
  if (elem == 0) return unsupported("{}: dtype {} has no fixed element size", what, dtype_name(dtype));
  int64_t bytes = elem;
  for (int64_t d : shape) {
    if (d < 0) return invalid_argument("{}: negative dim {}", what, d);
    if (d != 0 && bytes > kMaxBytes / d) return invalid_argument("{}: tensor larger than 2^40 bytes", what);
    bytes *= d;
  }
  return bytes;
}

namespace {

// Copies `values` (converted to T) into `out`, repeating the last one to fill it (TensorProto's rule).
template <typename T, typename Values>
Status fill_from(const Values& values, Array& out, const std::string& what) {
  const int64_t n = out.num_elements();
  if (static_cast<int64_t>(values.size()) > n) return invalid_argument("{}: {} values for {} elements", what, values.size(), n);
  if (values.empty() && n > 0) return invalid_argument("{}: no values for {} elements", what, n);
  T* dst = out.as<T>();
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(values[static_cast<int>(std::min<int64_t>(i, values.size() - 1))]);
  return Status::ok();
}

}  // namespace

Expected<Array> array_from_tensor_proto(const tfproto::TensorProto& t, const std::string& what) {
  Array out;
  TFC_ASSIGN_OR_RETURN(out.dtype, dtype_from_tf(t.dtype()));
  TFC_ASSIGN_OR_RETURN(out.shape, static_shape(t.tensor_shape(), what));
  TFC_ASSIGN_OR_RETURN(int64_t bytes, byte_size(out.dtype, out.shape, what));
  if (!t.tensor_content().empty()) {
    if (static_cast<int64_t>(t.tensor_content().size()) != bytes) {
      return invalid_argument("{}: {} bytes of {} content for {} bytes of shape", what, t.tensor_content().size(),
                              dtype_name(out.dtype), bytes);
    }
    out.data.assign(t.tensor_content().begin(), t.tensor_content().end());
    return out;
  }
  // Typed values (the last repeated to fill the shape, none meaning zeros):
  // the bytes are not in the file, so their size is capped.
  constexpr int64_t kMaxFilledBytes = int64_t{1} << 28;
  if (bytes > kMaxFilledBytes) return invalid_argument("{}: a filled constant of {} bytes (at most 2^28)", what, bytes);
  out.data.assign(static_cast<size_t>(bytes), 0);
  const int64_t given = t.float_val_size() + t.double_val_size() + t.int_val_size() + t.int64_val_size() +
                        t.bool_val_size() + t.half_val_size();
  if (given == 0) return out;
  Status s;
  switch (out.dtype) {
    case DType::kFloat32: s = fill_from<float>(t.float_val(), out, what); break;
    case DType::kFloat64: s = fill_from<double>(t.double_val(), out, what); break;
    case DType::kInt32: s = fill_from<int32_t>(t.int_val(), out, what); break;
    case DType::kInt16: s = fill_from<int16_t>(t.int_val(), out, what); break;
    case DType::kInt8: s = fill_from<int8_t>(t.int_val(), out, what); break;
    case DType::kUInt8: s = fill_from<uint8_t>(t.int_val(), out, what); break;
    case DType::kUInt16: s = fill_from<uint16_t>(t.int_val(), out, what); break;
    case DType::kInt64: s = fill_from<int64_t>(t.int64_val(), out, what); break;
    case DType::kBool: s = fill_from<uint8_t>(t.bool_val(), out, what); break;
    case DType::kFloat16:
    case DType::kBFloat16: s = fill_from<uint16_t>(t.half_val(), out, what); break;
    default: return unsupported("{}: constant values of dtype {} are not supported", what, dtype_name(out.dtype));
  }
  if (!s.is_ok()) return s;
  return out;
}

}  // namespace tfc::importers::savedmodel
