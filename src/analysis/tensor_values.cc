// Tensor values as real numbers (see tensor_values.h).
#include "analysis/tensor_values.h"

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

}  // namespace tfc::analysis
