// Structural checks of a graph IR model: every index in range, shapes sane
// (no negative dims, no element-count overflow), constant buffers the size
// their tensor needs, dtypes known. Run by the reader on every file and by
// passes after rewriting. Not op semantics: shape rules live in ops/.
#pragma once

#include "core/status.h"
#include "ir/graph.h"

namespace tfc::ir {

Status verify_model(const Model& model);

// Byte size of a dense tensor of this dtype and shape, or an error when a dim is
// negative, the count overflows, or the dtype has no fixed size (packed int4
// and int2 round up to whole bytes).
Expected<int64_t> dense_byte_size(DType dtype, std::span<const int32_t> shape);

}  // namespace tfc::ir
