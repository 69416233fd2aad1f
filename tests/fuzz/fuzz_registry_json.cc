// libFuzzer harness for the registry's JSON files: the input is written as a
// scratch registry's production.json and as its one artifact's meta.json, then
// read as `registry list` and `registry verify` read them (Registry::state,
// list, verify). Any byte string gives a state, listing or problems, or an
// error, never a crash, hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "registry/registry.h"
#include "fuzz_util.h"

namespace {

// SHA-256 of the 4 bytes "TFL3", the one artifact's model.
constexpr const char* kArtifactId = "a7dde3997f7e2a851fdbd1691bd8d19d07719e365be8016f136ff8ef6a847665";

struct ScratchRegistry {
  tfc::fuzz::ScratchDir dir;
  std::string production = dir.path() + "/production.json";
  std::string object = dir.path() + "/objects/" + kArtifactId;
  ScratchRegistry() {
    if (!tfc::registry::Registry::open(dir.path(), /*create=*/true).has_value()) std::abort();
    std::filesystem::create_directories(object);
    const uint8_t model[] = {'T', 'F', 'L', '3'};
    tfc::fuzz::write_bytes(object + "/model.tflite", model, sizeof model);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ScratchRegistry scratch;
  tfc::fuzz::write_bytes(scratch.production, data, size);
  tfc::fuzz::write_bytes(scratch.object + "/meta.json", data, size);
  auto registry = tfc::registry::Registry::open(scratch.dir.path(), /*create=*/false);
  if (!registry.has_value()) std::abort();
  (void)registry->state();
  (void)registry->list();
  (void)registry->verify();
  return 0;
}
