// libFuzzer harness for the legacy Keras `.h5` reader (parse_keras_h5: the
// superblock checks, then libhdf5 on a file image): any byte string
// gives a model or an error, never a crash, hang or sanitizer report. Every
// weight read must hold exactly the bytes its dtype and shape need.
#include <cstddef>
#include <cstdint>
#include <span>

#include "importers/keras/keras_file.h"

namespace {

void check_weights(const tfc::importers::keras::KerasModel& model) {
  for (const auto& layer : model.layers) {
    for (const tfc::Array& w : layer.weights) {
      if (w.data.size() != static_cast<size_t>(w.num_elements()) * tfc::dtype_size(w.dtype)) __builtin_trap();
    }
    if (layer.nested) check_weights(*layer.nested);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto model = tfc::importers::keras::parse_keras_h5(std::span<const uint8_t>(data, size));
  if (model.has_value()) check_weights(*model);
  return 0;
}
