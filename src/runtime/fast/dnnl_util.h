// oneDNN pieces the fast backend's oneDNN kernels share (dnnl_kernels.cc,
// dnnl_deconv.cc; the engine also softmax_kernel.cc, matmul_kernel.cc and the
// training kernels of dnnl_backward.cc): the CPU engine, fused activations as post-ops, weights
// packed once into a primitive's layout, and a bias copied into oneDNN memory.
#pragma once

#include <cstdint>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/common.h"

namespace tfc::runtime::fast {

dnnl::engine& engine();
// The fused activation as a post-op; false when oneDNN has no exact match
// (SIGN_BIT), so that the reference runs instead.
bool add_activation(kernels::Activation a, dnnl::primitive_attr& attr);
// Weights from our buffer (user_md) into the primitive's layout (want).
dnnl::memory pack_weights(const dnnl::memory::desc& user_md, const void* data, const dnnl::memory::desc& want);
// The weights in layout `want`: a copy packed earlier into that layout (bands
// of one op share one), else packed now and kept in `packed`.
dnnl::memory shared_pack(std::vector<dnnl::memory>& packed, const dnnl::memory::desc& user_md, const void* data,
                         const dnnl::memory::desc& want);
// A constant bias (channels floats) copied into oneDNN memory.
dnnl::memory bias_memory(const float* bias, int64_t channels);

}  // namespace tfc::runtime::fast
