// Checks and readers shared by the op families' shape rules and kernels
// (ops/*_ops.cc): arity, dtypes, ranks, integer inputs read as values, axes,
// quantization, fused activations, and dispatch on element types. Each check
// returns ok or an error naming the op, the tensor and what was expected.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "kernels/broadcast.h"
#include "kernels/quant_util.h"
#include "ops/op_context.h"

namespace tfc::ops {

// ---- Small helpers -------------------------------------------------------------

// The op's options of type T, or T's schema defaults when the op carries none
// (LiteRT then zero-fills its params, which equals these defaults).
template <typename T>
const T& options_or_default(const OpContext& ctx) {
  static const T kDefaults{};
  const T* o = ctx.op().options_as<T>();
  return o ? *o : kDefaults;
}

// "[d0, d1, ...]", for messages.
std::string shape_str(const ir::Shape& s);

bool is_one_of(DType t, std::initializer_list<DType> types);

inline bool fits_int32(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}

// ---- Arity and dtypes ------------------------------------------------------------

// min_inputs..max_inputs inputs (the first min_inputs present) and `outputs` outputs.
Status check_arity(const OpContext& ctx, int min_inputs, int max_inputs, int outputs);

// Input i's dtype is one of `allowed` (else unsupported).
Status require_dtype(const OpContext& ctx, int i, std::initializer_list<DType> allowed);

// Inputs i and j have one dtype.
Status require_same_dtype(const OpContext& ctx, int i, int j);

// Bytes per element of input i; types without a fixed size are unsupported.
Expected<size_t> element_size(const OpContext& ctx, int i);

// Output o has dtype `expected`.
Status check_output_dtype(const OpContext& ctx, int o, DType expected);

// Every output has input i's dtype.
Status check_outputs_match(const OpContext& ctx, int i);

// ---- Ranks and element counts ------------------------------------------------------

Status require_rank(const OpContext& ctx, int i, size_t rank);

// Input i holds exactly `count` elements (checked from its shape, before its
// value is read).
Status require_count(const OpContext& ctx, int i, int64_t count);

// ---- Integer inputs read as values ---------------------------------------------------

// The values of integer input i (int32 or int64; int16 too when `allow_int16`),
// widened to int64. Static inference of a non-constant tensor gets value_needed(i).
Expected<std::vector<int64_t>> int_values(OpContext& ctx, int i, bool allow_int16 = false);

// The one integer held by input i. The two differ in when the element count
// is checked:
// - int_scalar checks it first, from the shape: a wrong count is an error even
//   while the value is unknown (static inference), and before the dtype.
// - int_scalar_after_read checks the dtype and reads the value first: a wrong
//   count surfaces only once the value is known (SPLIT's and EXPAND_DIMS' axis).
Expected<int64_t> int_scalar(OpContext& ctx, int i);
Expected<int64_t> int_scalar_after_read(OpContext& ctx, int i);

// Non-negative dims from int64 values (a requested shape).
Expected<ir::Shape> dims_from(const OpContext& ctx, const std::vector<int64_t>& values);

// ---- Axes ------------------------------------------------------------------------------

// Axis in [-rank, rank) mapped to [0, rank).
std::optional<int> normalize_axis(int64_t axis, size_t rank);

// normalize_axis, or an error naming the axis and the rank.
Expected<int> resolve_axis(const OpContext& ctx, int64_t axis, size_t rank);

// LiteRT's reducer rule (MEAN, SUM, REDUCE_*): the axes (input 1) may be
// negative or repeated; keep_dims keeps the reduced dims as 1; a rank-0 input
// gives a rank-0 output.
// Resolving allocates nothing (up to 16 axes); out_shape() does.
struct Reduction {
  kernels::DimArray<int32_t> axes;  // normalized, possibly repeated
  bool keep_dims = false;
  ir::Shape out_shape(const OpContext& ctx) const;
};
Expected<Reduction> resolve_reduction_axes(OpContext& ctx);

// ---- Broadcasting ------------------------------------------------------------------------

// NumPy broadcast shape of several inputs.
Expected<ir::Shape> broadcast_inputs(const OpContext& ctx, std::initializer_list<int> inputs);

// ---- Quantization and fused activations ----------------------------------------------------

// Both unquantized, or quantized with the same (first) scale and zero point.
bool same_quantization(const ir::Tensor& a, const ir::Tensor& b);

// Ops that work on raw integer values need both tensors quantized alike.
Status require_same_quantization(const OpContext& ctx, const ir::Tensor& a, const ir::Tensor& b);

// A fused activation the schema knows (any of them; ops that take fewer check more).
Status check_activation(const OpContext& ctx, tflite::ActivationFunctionType a);

// ---- Dispatch on element types -------------------------------------------------------------

template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kInt16; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUInt8; };

template <typename... Ts> struct Types {};

// Calls f(T{}) for the C++ type T of `t` among Ts (bool data goes as uint8_t).
// The shape rule has checked that `t` is one of them.
template <typename... Ts, typename F>
void visit(Types<Ts...>, DType t, F&& f) {
  if (t == DType::kBool) t = DType::kUInt8;
  (void)((t == DTypeOf<Ts>::value ? (f(Ts{}), true) : false) || ...);
}

// int8, uint8 or int16: the dtypes of integer-quantized tensors.
bool is_quantized_int(DType t);
// The per-tensor scale and zero point of integer tensor t as the integer
// kernels read them: present, one scale, positive and finite, zero point within
// t's type; int16 zero point 0 when `symmetric_int16` (LiteRT's int16x8 kernels
// require it). Errors name the op and tensor.
Expected<kernels::QParams> int_qparams(const OpContext& ctx, const ir::Tensor& t, bool symmetric_int16);

}  // namespace tfc::ops
