// SavedModel importer: the committed SavedModels of tests/data/savedmodel
// (written by make_savedmodels.py) imported and run against TensorFlow's
// outputs; unsupported ops named with their nodes; hostile inputs refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "importers/savedmodel/savedmodel.h"
#include "io/file_util.h"
#include "io/npy.h"
#include "runtime/interpreter.h"
#include "saved_model.pb.h"
#include "test_util.h"

namespace tfc {
namespace {

namespace sm = importers::savedmodel;
namespace fs = std::filesystem;

fs::path data_dir() { return test::source_dir() / "tests" / "data" / "savedmodel"; }

// A committed SavedModel's parts, for building variants in memory.
struct Parts {
  tfproto::SavedModel proto;
  std::vector<uint8_t> index, data;
};

Parts read_parts(const std::string& name) {
  Parts p;
  const fs::path dir = data_dir() / name;
  auto pb = io::read_file((dir / "saved_model.pb").string());
  EXPECT_TRUE(pb.has_value());
  EXPECT_TRUE(p.proto.ParseFromArray(pb->data(), static_cast<int>(pb->size())));
  p.index = *io::read_file((dir / "variables" / "variables.index").string());
  p.data = *io::read_file((dir / "variables" / "variables.data-00000-of-00001").string());
  return p;
}

Expected<importers::Imported> import_parts(const tfproto::SavedModel& proto, std::vector<uint8_t> index,
                                           std::vector<uint8_t> data, const importers::ImportOptions& options = {}) {
  std::string bytes = proto.SerializeAsString();
  TFC_ASSIGN_OR_RETURN(auto bundle, sm::TensorBundle::from_bytes(std::move(index), {std::move(data)}));
  return sm::import_saved_model_bytes({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, bundle, options);
}

// Every node of every function and of the graph.
template <typename Fn>
void for_each_node(tfproto::SavedModel& proto, Fn fn) {
  auto* graph = proto.mutable_meta_graphs(0)->mutable_graph_def();
  for (auto& n : *graph->mutable_node()) fn(n);
  for (auto& f : *graph->mutable_library()->mutable_function()) {
    for (auto& n : *f.mutable_node_def()) fn(n);
  }
}

class SavedModelGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(SavedModelGolden, MatchesTensorFlow) {
  const fs::path dir = data_dir() / GetParam();
  auto imported = sm::import_saved_model(dir.string(), {});
  ASSERT_TRUE(imported.has_value()) << imported.status().message();
  auto input = read_npy((dir / "input.npy").string());
  auto expected = read_npy((dir / "expected.npy").string());
  ASSERT_TRUE(input && expected);
  importers::ImportOptions options;
  options.batch = static_cast<int>(input->shape[0]);
  imported = sm::import_saved_model(dir.string(), options);
  ASSERT_TRUE(imported.has_value()) << imported.status().message();
  auto interp = runtime::Interpreter::create(imported->model);
  ASSERT_TRUE(interp.has_value()) << interp.status().message();
  ASSERT_TRUE((*interp)->set_input(0, *input).is_ok());
  ASSERT_TRUE((*interp)->invoke().is_ok());
  const Array out = (*interp)->output(0);
  const Array& want = *expected;
  ASSERT_EQ(out.shape, want.shape);
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    const float ref = want.as<float>()[i];
    EXPECT_LE(std::fabs(out.as<float>()[i] - ref), 1e-5f * std::max(1.0f, std::fabs(ref))) << "element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Committed, SavedModelGolden,
                         ::testing::Values("module_mlp", "keras_export_cnn", "keras_tfsave_cnn",
                                           "keras_export_activations"));

// The builtin ops of a model, in order.
std::vector<std::string> op_names(const ir::Model& model) {
  std::vector<std::string> names;
  for (const auto& op : model.subgraphs[0].ops) {
    names.push_back(tflite::EnumNameBuiltinOperator(static_cast<tflite::BuiltinOperator>(op.code.builtin)));
  }
  return names;
}

// As the converter: BiasAdd and Keras 3's batch norm folded into the convs,
// RELU / RELU6 fused, tensors named after their TF nodes.
TEST(SavedModelImport, FoldsBatchNormAndFusesActivationsAsTheConverter) {
  auto imported = sm::import_saved_model((data_dir() / "keras_export_cnn").string(), {});
  ASSERT_TRUE(imported.has_value()) << imported.status().message();
  EXPECT_EQ(op_names(imported->model), (std::vector<std::string>{"CONV_2D", "MAX_POOL_2D", "DEPTHWISE_CONV_2D",
                                                                  "MEAN", "FULLY_CONNECTED", "SOFTMAX"}));
  const auto& g = imported->model.subgraphs[0];
  EXPECT_EQ(g.tensors[static_cast<size_t>(g.outputs[0])].name, "StatefulPartitionedCall_1:0");
  bool named_after_node = false;
  for (const auto& t : g.tensors) named_after_node = named_after_node || t.name.rfind("small_cnn_1/dw_1/", 0) == 0;
  EXPECT_TRUE(named_after_node);
}

TEST(SavedModelImport, ActivationPatternsBecomeOneOpEach) {
  auto imported = sm::import_saved_model((data_dir() / "keras_export_activations").string(), {});
  ASSERT_TRUE(imported.has_value()) << imported.status().message();
  EXPECT_EQ(op_names(imported->model),
            (std::vector<std::string>{"FULLY_CONNECTED", "GELU", "GELU", "HARD_SWISH", "CONCATENATION"}));
}

TEST(SavedModelImport, DynamicBatchTakesTheBatchOption) {
  importers::ImportOptions options;
  options.batch = 3;
  auto imported = sm::import_saved_model((data_dir() / "module_mlp").string(), options);
  ASSERT_TRUE(imported.has_value()) << imported.status().message();
  const auto& g = imported->model.subgraphs[0];
  const auto& in = g.tensors[static_cast<size_t>(g.inputs[0])];
  EXPECT_EQ(in.shape, (ir::Shape{3, 6}));
  EXPECT_EQ(in.shape_signature, (ir::Shape{-1, 6}));
  EXPECT_EQ(in.name, "serving_default_x:0");
  EXPECT_EQ(imported->model.signature_defs[0].outputs[0].name, "probs");
}

TEST(SavedModelImport, UnknownSignatureListsTheAvailableOnes) {
  importers::ImportOptions options;
  options.signature = "nope";
  auto imported = sm::import_saved_model((data_dir() / "keras_export_cnn").string(), options);
  ASSERT_FALSE(imported.has_value());
  EXPECT_NE(imported.status().message().find("serve, serving_default"), std::string::npos) << imported.status().message();
}

TEST(SavedModelImport, NamesEveryUnsupportedOpWithItsNode) {
  Parts p = read_parts("keras_export_cnn");
  for_each_node(p.proto, [](tfproto::NodeDef& n) {
    if (n.op() == "Relu" || n.op() == "MaxPool") n.set_op(n.op() == "Relu" ? "FancyRelu" : "FancyPool");
  });
  auto imported = import_parts(p.proto, p.index, p.data);
  ASSERT_FALSE(imported.has_value());
  EXPECT_EQ(imported.status().code(), StatusCode::kUnsupported);
  const std::string& m = imported.status().message();
  EXPECT_NE(m.find("FancyRelu (node small_cnn_1/relu_1/Relu)"), std::string::npos) << m;
  EXPECT_NE(m.find("FancyPool (node small_cnn_1/pool_1/MaxPool2d)"), std::string::npos) << m;
}

TEST(SavedModelImport, RecursiveFunctionIsRefused) {
  Parts p = read_parts("module_mlp");
  // The inner function calls the signature wrapper that calls it.
  std::string wrapper;
  for (const auto& f : p.proto.meta_graphs(0).graph_def().library().function()) {
    if (f.signature().name().find("signature_wrapper") != std::string::npos) wrapper = f.signature().name();
  }
  ASSERT_FALSE(wrapper.empty());
  for (auto& f : *p.proto.mutable_meta_graphs(0)->mutable_graph_def()->mutable_library()->mutable_function()) {
    if (f.signature().name().find("__call__") == std::string::npos) continue;
    for (auto& n : *f.mutable_node_def()) {
      if (n.op() != "MatMul") continue;
      n.set_op("StatefulPartitionedCall");
      (*n.mutable_attr())["f"].mutable_func()->set_name(wrapper);
      n.clear_input();
      for (const auto& arg : f.signature().input_arg()) n.add_input(arg.name());
    }
  }
  auto imported = import_parts(p.proto, p.index, p.data);
  ASSERT_FALSE(imported.has_value());
  EXPECT_EQ(imported.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(imported.status().message().find("nested deeper"), std::string::npos) << imported.status().message();
}

TEST(SavedModelImport, HostileProtobufIsInvalidArgument) {
  sm::TensorBundle empty;
  // A length running past the end, and messages nested 1000 deep.
  std::vector<uint8_t> bad_length = {0x12, 0xff, 0xff, 0x03, 0x0a};
  std::vector<uint8_t> inner;
  for (int i = 0; i < 1000; ++i) {
    std::vector<uint8_t> outer = {0x12};  // meta_graphs / graph_def: both field 2, length-delimited
    size_t len = inner.size();
    do {
      outer.push_back(static_cast<uint8_t>((len & 0x7f) | (len > 0x7f ? 0x80 : 0)));
      len >>= 7;
    } while (len);
    outer.insert(outer.end(), inner.begin(), inner.end());
    inner = std::move(outer);
  }
  for (const auto& bytes : {bad_length, inner}) {
    auto imported = sm::import_saved_model_bytes(bytes, empty, {});
    ASSERT_FALSE(imported.has_value());
    EXPECT_EQ(imported.status().code(), StatusCode::kInvalidArgument) << imported.status().message();
  }
}

TEST(SavedModelImport, VariablesPastTheirDataFileAreInvalidArgument) {
  Parts p = read_parts("module_mlp");
  std::vector<uint8_t> truncated(p.data.begin(), p.data.begin() + static_cast<std::ptrdiff_t>(p.data.size() / 2));
  auto imported = import_parts(p.proto, p.index, truncated);
  ASSERT_FALSE(imported.has_value());
  EXPECT_EQ(imported.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(imported.status().message().find("outside data shard"), std::string::npos) << imported.status().message();
}

TEST(SavedModelImport, MissingVariableIsNamed) {
  Parts p = read_parts("module_mlp");
  // A bundle without the variables: an index from another model.
  Parts other = read_parts("keras_export_cnn");
  auto imported = import_parts(p.proto, other.index, other.data);
  ASSERT_FALSE(imported.has_value());
  EXPECT_EQ(imported.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(imported.status().message().find("not in the checkpoint"), std::string::npos) << imported.status().message();
}

TEST(SavedModelImport, UnknownDtypeIsRefused) {
  Parts p = read_parts("module_mlp");
  auto& sig = (*p.proto.mutable_meta_graphs(0)->mutable_signature_def())["serving_default"];
  (*sig.mutable_inputs())["x"].set_dtype(static_cast<tfproto::DataType>(77));
  auto imported = import_parts(p.proto, p.index, p.data);
  ASSERT_FALSE(imported.has_value());
  EXPECT_NE(imported.status().message().find("#77"), std::string::npos) << imported.status().message();
}

TEST(SavedModelImport, CorruptIndexIsInvalidArgument) {
  Parts p = read_parts("module_mlp");
  std::vector<uint8_t> index = p.index;
  index.resize(index.size() - 10);
  auto bundle = sm::TensorBundle::from_bytes(index, {p.data});
  ASSERT_FALSE(bundle.has_value());
  EXPECT_EQ(bundle.status().code(), StatusCode::kInvalidArgument);
}

// The fuzzing find: a block handle of 2^56 bytes, which leveldb would have
// allocated before reading; such handles are refused before leveldb sees them.
TEST(SavedModelImport, BlockHandlePastTheIndexIsInvalidArgument) {
  auto input = io::read_file(
      (test::source_dir() / "tests/fuzz/regressions/tensor_bundle/block_handle_size_2_pow_56.bin").string());
  ASSERT_TRUE(input.has_value());
  const uint8_t* d = input->data();
  const size_t n = std::min<size_t>(input->size() - 4, d[0] | (d[1] << 8) | (d[2] << 16) | (size_t{d[3]} << 24));
  std::vector<uint8_t> index(d + 4, d + 4 + n), shard(d + 4 + n, d + input->size());
  auto bundle = sm::TensorBundle::from_bytes(index, {shard});
  ASSERT_FALSE(bundle.has_value());
  EXPECT_EQ(bundle.status().code(), StatusCode::kInvalidArgument) << bundle.status().message();
}

}  // namespace
}  // namespace tfc
