// TFLite reader/writer: lossless round trips on every fixture model, and clear
// errors (never crashes) on truncated, corrupted and hostile files.
#include <gtest/gtest.h>

#include <random>

#include "analysis/inspect.h"
#include "io/file_util.h"
#include "io/tflite_reader.h"
#include "io/tflite_writer.h"
#include "test_util.h"

namespace tfc {
namespace {

std::vector<uint8_t> must_serialize(const ir::Model& m) {
  auto bytes = io::serialize_tflite(m);
  EXPECT_TRUE(bytes.has_value()) << bytes.status().message();
  return bytes.has_value() ? *bytes : std::vector<uint8_t>{};
}

TEST(TfliteIo, FixturesExist) { EXPECT_GE(test::fixture_models().size(), 5u); }

TEST(TfliteIo, SecondRoundTripIsByteIdentical) {
  for (const auto& path : test::fixture_models()) {
    SCOPED_TRACE(path.string());
    auto model = io::read_tflite(path.string());
    ASSERT_TRUE(model.has_value()) << model.status().message();
    const auto first = must_serialize(*model);
    auto reread = io::parse_tflite(first);
    ASSERT_TRUE(reread.has_value()) << reread.status().message();
    const auto second = must_serialize(*reread);
    EXPECT_EQ(first, second);
    // Everything inspect shows survives the round trip.
    EXPECT_EQ(analysis::summarize_model(*model), analysis::summarize_model(*reread));
  }
}

TEST(TfliteIo, RoundTripKeepsMetadataSignaturesAndSubgraphs) {
  for (const auto& path : test::fixture_models()) {
    SCOPED_TRACE(path.string());
    auto model = io::read_tflite(path.string());
    ASSERT_TRUE(model.has_value());
    auto reread = io::parse_tflite(must_serialize(*model));
    ASSERT_TRUE(reread.has_value());
    ASSERT_EQ(model->subgraphs.size(), reread->subgraphs.size());
    ASSERT_EQ(model->metadata.size(), reread->metadata.size());
    for (size_t i = 0; i < model->metadata.size(); ++i) {
      EXPECT_EQ(model->metadata[i].name, reread->metadata[i].name);
      EXPECT_EQ(model->buffers[model->metadata[i].buffer].data, reread->buffers[reread->metadata[i].buffer].data);
    }
    EXPECT_EQ(model->signature_defs.size(), reread->signature_defs.size());
    for (size_t s = 0; s < model->subgraphs.size(); ++s) {
      const auto& a = model->subgraphs[s];
      const auto& b = reread->subgraphs[s];
      ASSERT_EQ(a.tensors.size(), b.tensors.size());
      for (size_t t = 0; t < a.tensors.size(); ++t) {
        EXPECT_EQ(a.tensors[t].shape, b.tensors[t].shape);
        EXPECT_EQ(a.tensors[t].dtype, b.tensors[t].dtype);
        EXPECT_EQ(model->constant_data(a.tensors[t]).size(), reread->constant_data(b.tensors[t]).size());
        EXPECT_EQ(a.tensors[t].sparsity != nullptr, b.tensors[t].sparsity != nullptr);
      }
      ASSERT_EQ(a.ops.size(), b.ops.size());
      for (size_t o = 0; o < a.ops.size(); ++o) {
        EXPECT_EQ(a.ops[o].code, b.ops[o].code);
        EXPECT_EQ(a.ops[o].options.type, b.ops[o].options.type);
      }
    }
  }
}

TEST(TfliteIo, TruncatedFilesAreRejected) {
  const auto models = test::fixture_models();
  ASSERT_FALSE(models.empty());
  auto bytes = io::read_file(models.front().string());
  ASSERT_TRUE(bytes.has_value());
  for (size_t len : {size_t{0}, size_t{4}, size_t{7}, size_t{8}, size_t{16}, size_t{64}, bytes->size() / 3,
                     bytes->size() / 2, bytes->size() - 1}) {
    std::span<const uint8_t> prefix(bytes->data(), len);
    auto r = io::parse_tflite(prefix);
    EXPECT_FALSE(r.has_value()) << "length " << len;
    if (!r.has_value()) EXPECT_EQ(exit_code(r.status()), 2);
  }
}

TEST(TfliteIo, NotAModelIsRejected) {
  std::vector<uint8_t> junk(256, 0x41);
  auto r = io::parse_tflite(junk);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.status().message().find("not a TFLite model"), std::string::npos);
}

// Random byte corruption: every result is either a valid model or an error.
TEST(TfliteIo, CorruptedBytesNeverCrash) {
  std::mt19937 rng(1234);
  for (const auto& path : test::fixture_models()) {
    auto bytes = io::read_file(path.string());
    ASSERT_TRUE(bytes.has_value());
    if (bytes->size() > 300'000) continue;
    for (int trial = 0; trial < 40; ++trial) {
      auto copy = *bytes;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) copy[8 + rng() % (copy.size() - 8)] = static_cast<uint8_t>(rng());
      auto r = io::parse_tflite(copy);
      if (r.has_value()) {
        auto again = io::serialize_tflite(*r);  // a model that parsed must serialize or say why not
        if (!again.has_value()) EXPECT_FALSE(again.status().message().empty());
      }
    }
  }
}

ir::Model tiny_model() {
  ir::Model m;
  m.buffers.resize(2);
  m.buffers[1].data.resize(4 * 4);
  ir::Subgraph g;
  g.tensors.push_back({.name = "x", .dtype = DType::kFloat32, .shape = {1, 4}});
  g.tensors.push_back({.name = "w", .dtype = DType::kFloat32, .shape = {1, 4}, .buffer = 1});
  g.tensors.push_back({.name = "y", .dtype = DType::kFloat32, .shape = {1, 4}});
  ir::Op add;
  add.code.builtin = tflite::BuiltinOperator_ADD;
  add.inputs = {0, 1};
  add.outputs = {2};
  g.ops.push_back(std::move(add));
  g.inputs = {0};
  g.outputs = {2};
  m.subgraphs.push_back(std::move(g));
  return m;
}

TEST(TfliteIo, HostileIndicesAndShapesAreRejected) {
  {
    auto m = tiny_model();
    ASSERT_TRUE(io::parse_tflite(must_serialize(m)).has_value());
  }
  {
    auto m = tiny_model();
    m.subgraphs[0].tensors[1].buffer = 99;  // out-of-range buffer index
    auto r = io::serialize_tflite(m);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.status().message().find("buffer index 99"), std::string::npos) << r.status().message();
  }
  {
    auto m = tiny_model();
    m.subgraphs[0].ops[0].inputs[1] = 7;  // out-of-range tensor index
    EXPECT_FALSE(io::serialize_tflite(m).has_value());
  }
  {
    auto m = tiny_model();
    m.subgraphs[0].tensors[0].shape = {1 << 30, 1 << 30, 1 << 30};  // element count overflows
    auto r = io::serialize_tflite(m);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.status().message().find("too many elements"), std::string::npos) << r.status().message();
  }
  {
    auto m = tiny_model();
    m.buffers[1].data.resize(3);  // constant smaller than its shape needs
    auto r = io::serialize_tflite(m);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.status().message().find("'w'"), std::string::npos) << r.status().message();
  }
}

// Hostile values written into a valid flatbuffer (the verifier accepts them;
// the IR checks must not).
TEST(TfliteIo, HostileValuesInsideAValidFlatbufferAreRejected) {
  auto m = tiny_model();
  auto bytes = must_serialize(m);
  // Patch the buffer index of tensor 'w' (value 1) by re-serializing through the
  // object API with a bad index.
  std::unique_ptr<tflite::ModelT> obj(tflite::GetModel(bytes.data())->UnPack());
  obj->subgraphs[0]->tensors[1]->buffer = 12345;
  obj->subgraphs[0]->operators[0]->opcode_index = 77;
  flatbuffers::FlatBufferBuilder fbb;
  tflite::FinishModelBuffer(fbb, tflite::Model::Pack(fbb, obj.get()));
  auto r = io::parse_tflite({fbb.GetBufferPointer(), fbb.GetSize()});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(exit_code(r.status()), 2);
}

// The crash the fuzzer found (fixed in the reader): custom_op.tflite with its
// MUL operator's options union naming FakeQuantOptions but holding no table
// (tests/fuzz/regressions/tflite_reader/, made with Python flatbuffers). The
// verifier accepts it; it must read as an op without options and write back.
TEST(TfliteIo, OptionsUnionWithoutItsTableReadsAsNoOptions) {
  const auto path = test::source_dir() / "tests/fuzz/regressions/tflite_reader/options_union_without_table.tflite";
  auto model = io::read_tflite(path.string());
  ASSERT_TRUE(model.has_value()) << model.status().message();
  const ir::Op& mul = model->subgraphs[0].ops[1];
  ASSERT_EQ(mul.code.builtin, tflite::BuiltinOperator_MUL);
  EXPECT_EQ(mul.options.type, tflite::BuiltinOptions_NONE);
  EXPECT_EQ(mul.options.value, nullptr);
  const auto bytes = must_serialize(*model);
  ASSERT_FALSE(bytes.empty());
  auto reread = io::parse_tflite(bytes);
  ASSERT_TRUE(reread.has_value()) << reread.status().message();
  EXPECT_EQ(reread->subgraphs[0].ops[1].options.type, tflite::BuiltinOptions_NONE);
  EXPECT_EQ(must_serialize(*reread), bytes);
}

}  // namespace
}  // namespace tfc
