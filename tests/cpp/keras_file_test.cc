// The Keras containers (importers/keras/keras_file.h, io/hdf5_file.h): the
// weights of one small model read from its .keras, sharded .keras and tf-keras
// .h5 files equal what h5py reads (tests/data/keras/tiny_weights.npz), and
// each hostile file (tests/data/keras/make_files.py, or bytes edited here) is
// an exit-2 error that names what is wrong.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "importers/keras/keras_file.h"
#include "importers/keras/keras_weights.h"
#include "io/file_util.h"
#include "io/hdf5_file.h"
#include "io/npy.h"
#include "test_util.h"

namespace tfc::importers::keras {
namespace {

std::string data_file(const std::string& name) { return (test::source_dir() / "tests/data/keras" / name).string(); }

std::vector<uint8_t> bytes_of(const std::string& name) {
  auto bytes = io::read_file(data_file(name));
  EXPECT_TRUE(bytes.has_value()) << bytes.status().message();
  return bytes ? *bytes : std::vector<uint8_t>{};
}

std::map<std::string, Array> expected_weights() {
  std::map<std::string, Array> out;
  auto arrays = read_npz(data_file("tiny_weights.npz"));
  EXPECT_TRUE(arrays.has_value()) << arrays.status().message();
  if (arrays) {
    for (auto& a : *arrays) out[a.name] = std::move(a.array);
  }
  return out;
}

// Every weight of `model` under the npz's names ("d1/0", "inner/in_bn/2").
std::map<std::string, const Array*> weights_by_name(const KerasModel& model, const std::string& prefix = "") {
  std::map<std::string, const Array*> out;
  for (const Layer& layer : model.layers) {
    if (layer.nested) {
      auto inner = weights_by_name(*layer.nested, prefix + layer.name + "/");
      out.insert(inner.begin(), inner.end());
    }
    for (size_t i = 0; i < layer.weights.size(); ++i) out[prefix + layer.name + "/" + std::to_string(i)] = &layer.weights[i];
  }
  return out;
}

void expect_weights_as_h5py_reads(const KerasModel& model) {
  const auto expected = expected_weights();
  const auto got = weights_by_name(model);
  ASSERT_EQ(expected.size(), 15u);
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [name, want] : expected) {
    ASSERT_TRUE(got.contains(name)) << name;
    const Array& have = *got.at(name);
    EXPECT_EQ(have.dtype, want.dtype) << name;
    EXPECT_EQ(have.shape, want.shape) << name;
    EXPECT_EQ(have.data, want.data) << name;
  }
}

template <typename T>
void expect_refused(const Expected<T>& result, const std::string& needle) {
  ASSERT_FALSE(result.has_value()) << "expected an error mentioning '" << needle << "'";
  EXPECT_EQ(exit_code(result.status()), 2) << result.status().message();
  EXPECT_NE(result.status().message().find(needle), std::string::npos) << result.status().message();
}

TEST(KerasFile, SnakeCaseAsKerasNamesWeightGroups) {
  EXPECT_EQ(keras_snake_case("BatchNormalization"), "batch_normalization");
  EXPECT_EQ(keras_snake_case("Conv2D"), "conv2d");
  EXPECT_EQ(keras_snake_case("DepthwiseConv2D"), "depthwise_conv2d");
  EXPECT_EQ(keras_snake_case("ReLU"), "re_lu");
  EXPECT_EQ(keras_snake_case("PReLU"), "p_re_lu");
  EXPECT_EQ(keras_snake_case("EinsumDense"), "einsum_dense");
  EXPECT_EQ(keras_snake_case("Conv2DTranspose"), "conv2d_transpose");
  EXPECT_EQ(keras_snake_case("GlobalAveragePooling2D"), "global_average_pooling2d");
}

TEST(KerasFile, KerasArchiveWeightsInLayerOrder) {
  auto model = read_keras_file(data_file("tiny.keras"));
  ASSERT_TRUE(model.has_value()) << model.status().message();
  EXPECT_EQ(model->keras_version, 3);
  expect_weights_as_h5py_reads(*model);
  const Layer* bn = model->find("inner")->nested->find("in_bn");
  ASSERT_EQ(bn->weights.size(), 4u);  // gamma, beta, moving mean, moving variance
  EXPECT_EQ(bn->weights[2].as<float>()[0], 0.5f);
  EXPECT_EQ(bn->weights[3].as<float>()[1], 0.5f);
  EXPECT_EQ(model->find("norm")->weights[2].dtype, DType::kInt64);  // count
  EXPECT_TRUE(model->find("x")->weights.empty());
}

// Keras numbers the weight groups over Model.layers: a keras.ops operation
// (`y + 1.0`, class Add) is no Layer and takes no "add" group from the Add
// layer after it; each group's recorded name is checked against the layer.
TEST(KerasFile, KerasOpsTakeNoWeightGroup) {
  auto model = read_keras_file(data_file("ops.keras"));
  ASSERT_TRUE(model.has_value()) << model.status().message();
  const Layer* op = model->find("add");
  ASSERT_NE(op, nullptr);
  EXPECT_TRUE(op->operation);
  EXPECT_FALSE(model->find("sum")->operation);
  EXPECT_TRUE(op->weights.empty());
  EXPECT_TRUE(model->find("sum")->weights.empty());
  ASSERT_EQ(model->find("d1")->weights.size(), 2u);
  EXPECT_EQ(model->find("d1")->weights[0].shape, (std::vector<int64_t>{4, 3}));
  ASSERT_EQ(model->find("d2")->weights.size(), 2u);
  EXPECT_EQ(model->find("d2")->weights[0].shape, (std::vector<int64_t>{3, 3}));
}

TEST(KerasFile, ShardedWeightsReadAsOne) {
  // /layers/dense/vars is split over two shards.
  auto model = read_keras_file(data_file("tiny_sharded.keras"));
  ASSERT_TRUE(model.has_value()) << model.status().message();
  expect_weights_as_h5py_reads(*model);
}

TEST(KerasFile, LegacyH5WeightsInLayerOrder) {
  auto model = read_keras_h5_file(data_file("tiny.h5"));
  ASSERT_TRUE(model.has_value()) << model.status().message();
  EXPECT_EQ(model->keras_version, 2);
  expect_weights_as_h5py_reads(*model);
  const Layer* bn = model->find("inner")->nested->find("in_bn");
  EXPECT_EQ(bn->weight_names, (std::vector<std::string>{"in_bn/gamma:0", "in_bn/beta:0", "in_bn/moving_mean:0",
                                                         "in_bn/moving_variance:0"}));
  EXPECT_EQ(model->find("d1")->weight_names, (std::vector<std::string>{"d1/kernel:0", "d1/bias:0"}));
}

TEST(KerasFile, LegacyH5StringFormsAndSplitAttributes) {
  // The fuzz seeds: superblock 0 with fixed-length strings, superblock 3
  // (object header version 2) with variable-length ones; weight_names split
  // into weight_names0 and weight_names1.
  for (const char* seed : {"dense_earliest_fixed.h5", "dense_latest_vlen.h5"}) {
    auto bytes = io::read_file((test::source_dir() / "tests/fuzz/corpus/keras_h5" / seed).string());
    ASSERT_TRUE(bytes.has_value());
    auto model = parse_keras_h5(*bytes);
    ASSERT_TRUE(model.has_value()) << seed << ": " << model.status().message();
    const Layer* dense = model->find("dense");
    ASSERT_NE(dense, nullptr);
    EXPECT_EQ(dense->weight_names, (std::vector<std::string>{"dense/kernel:0", "dense/bias:0"})) << seed;
    ASSERT_EQ(dense->weights.size(), 2u);
    EXPECT_EQ(dense->weights[0].shape, (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(dense->weights[0].as<float>()[5], 5.0f);
    EXPECT_EQ(dense->weights[1].as<float>()[1], -1.0f);
  }
}

TEST(KerasFile, HostileArchivesAreRefusedByName) {
  expect_refused(read_keras_file(data_file("hostile_zip_slip.keras")), "unsafe entry name '../config.json'");
  expect_refused(read_keras_file(data_file("hostile_absolute_name.keras")), "unsafe entry name '/tmp/metadata.json'");
  expect_refused(read_keras_file(data_file("hostile_duplicate.keras")), "duplicate entry");
  expect_refused(read_keras_file(data_file("hostile_no_config.keras")), "no config.json entry");
  expect_refused(read_keras_file(data_file("hostile_no_weights.keras")), "no weights");
  expect_refused(read_keras_file(data_file("hostile_keras2_metadata.keras")), "saved by Keras 2.13.1");
  expect_refused(read_keras_file(data_file("hostile_huge_entry.keras")),
                 "entry 'model.weights.h5' declares 2147483647 bytes");
}

TEST(KerasFile, TruncatedArchivesAreRefused) {
  const auto bytes = bytes_of("tiny.keras");
  expect_refused(parse_keras_archive(std::span(bytes).first(0)), "empty file");
  for (size_t keep : {size_t{3}, size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    expect_refused(parse_keras_archive(std::span(bytes).first(keep)), "not a readable zip archive");
  }
}

TEST(KerasFile, CorruptedEntryDataIsRefused) {
  auto bytes = bytes_of("tiny.keras");
  // Flip a byte inside the stored weights (past its local header): the CRC no longer holds.
  const char* name = "model.weights.h5";
  auto at = std::search(bytes.begin(), bytes.end(), name, name + std::strlen(name));
  ASSERT_NE(at, bytes.end());
  at[200] ^= 0xff;
  auto model = parse_keras_archive(bytes);
  ASSERT_FALSE(model.has_value());
  EXPECT_EQ(exit_code(model.status()), 2);
  EXPECT_NE(model.status().message().find("model.weights.h5"), std::string::npos) << model.status().message();
}

TEST(KerasFile, HostileH5FilesAreRefusedByName) {
  expect_refused(read_keras_h5_file(data_file("hostile_huge_shape.h5")),
                 "dataset 'model_weights/d1/d1/kernel:0': shape of 2 dimensions needs more bytes");
  expect_refused(read_keras_h5_file(data_file("hostile_string_weight.h5")),
                 "dataset 'model_weights/d1/d1/kernel:0': element type");
  expect_refused(read_keras_h5_file(data_file("hostile_compressed.h5")), "compressed or filtered data");
  expect_refused(read_keras_h5_file(data_file("hostile_external_link.h5")),
                 "'model_weights/d1/d1/kernel:0' is not a hard link");
  expect_refused(read_keras_h5_file(data_file("hostile_no_config.h5")), "no model_config attribute");
  expect_refused(read_keras_h5_file(data_file("hostile_unknown_layer.h5")),
                 "model_weights lists layer 'nope', which model_config does not have");
}

TEST(KerasFile, TruncatedH5FilesAreRefusedBeforeLibhdf5) {
  const auto bytes = bytes_of("tiny.h5");
  expect_refused(parse_keras_h5(std::span(bytes).first(4)), "not an HDF5 file");
  expect_refused(parse_keras_h5(std::span(bytes).first(40)), "truncated HDF5 superblock");
  expect_refused(parse_keras_h5(std::span(bytes).first(bytes.size() / 2)), "truncated HDF5 file");
  expect_refused(parse_keras_h5(std::span(bytes).first(bytes.size() - 1)), "truncated HDF5 file");
  auto bad_sizes = bytes;
  bad_sizes[13] = 3;  // version 0 superblock: size of offsets
  expect_refused(parse_keras_h5(bad_sizes), "sizes of offsets 3");
}

TEST(KerasFile, DamagedGlobalHeapIsRefusedBeforeLibhdf5) {
  // libhdf5 1.10 loops forever on a global heap object of size 0
  // (tests/fuzz/regressions/keras_h5/global_heap_object_of_size_0.h5).
  auto bytes = bytes_of("tiny.h5");  // its strings are variable-length: a global heap
  const char magic[] = "GCOL";
  auto at = std::search(bytes.begin(), bytes.end(), magic, magic + 4);
  ASSERT_NE(at, bytes.end());
  ASSERT_TRUE(parse_keras_h5(bytes).has_value());
  std::fill(at + 16, at + 32, 0);  // the first object: index 0, size 0
  expect_refused(parse_keras_h5(bytes), "damaged global heap at offset");
  auto regression = bytes_of("../../fuzz/regressions/keras_h5/global_heap_object_of_size_0.h5");
  expect_refused(parse_keras_h5(regression), "damaged global heap");
}

TEST(KerasFile, FuzzRegressionInputsAreRefused) {
  // Each crashed, hung or leaked in libhdf5 before the checks of io/hdf5_check.h.
  const auto dir = test::source_dir() / "tests/fuzz/regressions/keras_h5";
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    auto bytes = io::read_file(entry.path().string());
    ASSERT_TRUE(bytes.has_value());
    auto model = parse_keras_h5(*bytes);
    ASSERT_FALSE(model.has_value()) << entry.path();
    EXPECT_EQ(exit_code(model.status()), 2) << entry.path() << ": " << model.status().message();
    ++seen;
  }
  EXPECT_GE(seen, 7);
}

TEST(KerasFile, ArchiveOfH5AndH5OfArchiveAreRefused) {
  expect_refused(parse_keras_archive(bytes_of("tiny.h5")), "not a readable zip archive");
  expect_refused(parse_keras_h5(bytes_of("tiny.keras")), "not an HDF5 file");
}

TEST(KerasFile, ShardIndexNamesOnlyPlainShardFiles) {
  expect_refused(shard_names(nlohmann::json::parse(R"({"weight_map": {"/vars": ["../x.weights.h5"]}})")),
                 "bad shard name '../x.weights.h5'");
  expect_refused(shard_names(nlohmann::json::parse(R"({"weight_map": {"/vars": ["config.json"]}})")),
                 "bad shard name 'config.json'");
  expect_refused(shard_names(nlohmann::json::parse(R"({"weight_map": {}})")), "names no shard");
  auto names = shard_names(nlohmann::json::parse(
      R"({"weight_map": {"/a/vars": ["m_00000.weights.h5", "m_00001.weights.h5"], "/b/vars": ["m_00001.weights.h5"]}})"));
  ASSERT_TRUE(names.has_value());
  EXPECT_EQ(*names, (std::vector<std::string>{"m_00000.weights.h5", "m_00001.weights.h5"}));
}

}  // namespace
}  // namespace tfc::importers::keras
