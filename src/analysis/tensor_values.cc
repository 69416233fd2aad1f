// Tensor values as real numbers, and samples as a model input takes them (see tensor_values.h).
#include "analysis/tensor_values.h"

#include "kernels/elementwise_ref.h"

namespace tfc::analysis {

// Values of a tensor as doubles: float as is, integers dequantized.
Expected<std::vector<double>> real_values(const Array& a, const ir::Tensor& t) {
  std::vector<double> v(static_cast<size_t>(a.num_elements()));
  if (a.dtype == DType::kFloat32) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = a.as<float>()[i];
    return v;
  }
  if (!t.is_quantized() || t.quantization->scale.size() != 1) {
    return unsupported("tensor '{}' ({}) is not per-tensor quantized", t.name, dtype_name(t.dtype));
  }
  const double s = t.quantization->scale[0];
  const double zp = t.quantization->zero_point.empty() ? 0.0 : static_cast<double>(t.quantization->zero_point[0]);
  switch (a.dtype) {
    case DType::kInt8: for (size_t i = 0; i < v.size(); ++i) v[i] = (a.as<int8_t>()[i] - zp) * s; break;
    case DType::kUInt8: for (size_t i = 0; i < v.size(); ++i) v[i] = (a.as<uint8_t>()[i] - zp) * s; break;
    case DType::kInt16: for (size_t i = 0; i < v.size(); ++i) v[i] = (a.as<int16_t>()[i] - zp) * s; break;
    default: return unsupported("tensor '{}' has dtype {}", t.name, dtype_name(a.dtype));
  }
  return v;
}

// A float sample as the quantized model's input wants it.
Expected<Array> to_input(const Array& x, const ir::Tensor& input) {
  if (input.dtype == x.dtype) return x;
  if (x.dtype != DType::kFloat32 || !input.is_quantized()) {
    return invalid_argument("samples are {} but the model input '{}' is {}", dtype_name(x.dtype), input.name,
                            dtype_name(input.dtype));
  }
  Array out;
  out.dtype = input.dtype;
  out.shape = x.shape;
  out.data.resize(static_cast<size_t>(x.num_elements()) * dtype_size(input.dtype));
  const float s = input.quantization->scale[0];
  const int32_t zp = input.quantization->zero_point.empty() ? 0 : static_cast<int32_t>(input.quantization->zero_point[0]);
  switch (input.dtype) {  // as a QUANTIZE op would
    case DType::kInt8: kernels::quantize(x.as<float>(), x.num_elements(), s, zp, out.as<int8_t>()); break;
    case DType::kUInt8: kernels::quantize(x.as<float>(), x.num_elements(), s, zp, out.as<uint8_t>()); break;
    case DType::kInt16: kernels::quantize(x.as<float>(), x.num_elements(), s, zp, out.as<int16_t>()); break;
    default: return unsupported("model input '{}' has dtype {}", input.name, dtype_name(input.dtype));
  }
  return out;
}

}  // namespace tfc::analysis
