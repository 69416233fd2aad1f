// libFuzzer harness for the SavedModel importer's graph side: any byte string
// as saved_model.pb goes through protobuf parsing (size and nesting limits),
// signature choice, function inlining and lowering with an empty variable
// bundle, and gives a model or an error, never a crash, hang or sanitizer
// report. A model it gives must pass the IR verifier.
#include <cstddef>
#include <cstdint>

#include "importers/savedmodel/savedmodel.h"
#include "ir/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const tfc::importers::savedmodel::TensorBundle kNoVariables;
  auto imported = tfc::importers::savedmodel::import_saved_model_bytes({data, size}, kNoVariables, {});
  if (imported.has_value() && !tfc::ir::verify_model(imported->model).is_ok()) __builtin_trap();
  return 0;
}
