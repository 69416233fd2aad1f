// Reference backward kernels of the data family's index-mapping ops (TILE,
// MIRROR_PAD, BROADCAST_TO; data_ref.h has the forwards): each ADDS
// dL/d(output) into dL/d(input) at the input position every output element
// was read from, so an input element read several times gets the sum.
// PACK, UNPACK and SPLIT_V backward are the block kernels of shape_grad_ref.h.
// Pure functions on buffers and dims; ops/data_grad.cc resolves the plans.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/common.h"

namespace tfc::kernels {

// TILE: dx (in_dims) += dy (in_dims[d] * multiples[d], given as out_dims)
// folded back: dx[i] += sum of dy at every position i mod in_dims.
void tile_backward(const float* dy, Dims in_dims, Dims out_dims, float* dx);

// MIRROR_PAD: dx (in_dims) += dy (in_dims[d] + before[d] + after[d]), each
// padded element added into the input element it mirrors (as data_ref.h).
void mirror_pad_backward(const float* dy, Dims in_dims, std::span<const int32_t> before,
                         std::span<const int32_t> after, bool symmetric, float* dx);

// BROADCAST_TO: dx (in_dims, right-aligned against out_dims) += dy (out_dims)
// summed over the broadcast dims.
void broadcast_to_backward(const float* dy, Dims in_dims, Dims out_dims, float* dx);

}  // namespace tfc::kernels
