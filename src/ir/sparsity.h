// Sparse constants (TFLite's SparsityParameters) seen from the IR: conversion
// of the schema's sparsity structs to the kernel's plain format, the check of
// a sparse constant against its buffer (run by verify.h on every model), and
// checked densification of a whole constant. Used by DENSIFY and by the
// runtime for ops that read sparse weights directly (e.g. FULLY_CONNECTED with
// block-sparse weights). Not here: producing sparse tensors (a later pruning
// pass).
#pragma once

#include <span>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"
#include "kernels/sparse_ref.h"

namespace tfc::ir {

// The kernel's view of a tensor's sparsity parameters.
Expected<kernels::SparseFormat> sparse_format_of(const Tensor& tensor);

// Checks a sparse constant: its format against the tensor's shape and the
// number of stored values against the bytes of its buffer. verify_model runs
// this on every sparse constant, so kernels may trust both afterwards.
Status check_sparse_constant(const Tensor& tensor, std::span<const uint8_t> stored);

// The dense value of a sparse constant, after checking the format against the
// tensor's shape and the number of stored values against `stored`.
Expected<std::vector<uint8_t>> densify_constant(const Tensor& tensor, std::span<const uint8_t> stored);

}  // namespace tfc::ir
