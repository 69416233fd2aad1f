// libFuzzer harness for the Keras 3 `.keras` reader (parse_keras_archive:
// libzip from memory, metadata and config JSON, HDF5 weights): any byte string
// gives a model or an error, never a crash, hang or sanitizer report. Every
// weight read must hold exactly the bytes its dtype and shape need.
#include <cstddef>
#include <cstdint>
#include <span>

#include "importers/keras/keras_file.h"
#include "keras_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto model = tfc::importers::keras::parse_keras_archive(std::span<const uint8_t>(data, size));
  if (model.has_value()) tfc::fuzz::check_keras_weights(*model);
  return 0;
}
