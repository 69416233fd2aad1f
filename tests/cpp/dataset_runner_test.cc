// runtime/dataset_runner.h: the batch loop every model-over-dataset pass uses
// (how the samples are cut into batches, padded or dropped, and turned into
// each model's input) and the fixed batch size of a model's input.
#include "runtime/dataset_runner.h"

#include <gtest/gtest.h>

#include <cstring>

#include "model_builder.h"

namespace tfc {
namespace {

// RELU of a float input of shape `shape` (first dim the batch).
ir::Model relu_model(ir::Shape shape, std::vector<int32_t> signature = {}) {
  test::ModelBuilder b;
  const ir::TensorId in = b.input("in", shape);
  b.g().tensors[static_cast<size_t>(in)].shape_signature = std::move(signature);
  const ir::TensorId out = b.output("out", shape);
  b.op(tflite::BuiltinOperator_RELU, {in}, {out});
  return b.m;
}

// Samples 0, 1, ..., n - 1 (one value each, negative for odd ones) as [n, 1].
Array ramp(int64_t n) {
  Array a{DType::kFloat32, {n, 1}, std::vector<uint8_t>(static_cast<size_t>(n) * sizeof(float))};
  for (int64_t i = 0; i < n; ++i) a.as<float>()[i] = static_cast<float>(i % 2 ? -i : i);
  return a;
}

struct Seen {
  std::vector<runtime::Batch> batches;
  std::vector<float> outputs;
};

Expected<Seen> run(const ir::Model& model, const Array& samples, runtime::DatasetRunOptions options) {
  TFC_ASSIGN_OR_RETURN(auto interp, runtime::Interpreter::create(model, 0, {}));
  runtime::Interpreter* models[] = {interp.get()};
  Seen seen;
  TFC_RETURN_IF_ERROR(runtime::run_dataset(models, samples, options, [&](const runtime::Batch& b) {
    seen.batches.push_back(b);
    const Array out = interp->output(0);
    seen.outputs.insert(seen.outputs.end(), out.as<float>(), out.as<float>() + out.num_elements());
    return Status::ok();
  }));
  return seen;
}

TEST(FixedBatchSize, IsTheStaticFirstDimAboveOne) {
  EXPECT_EQ(runtime::fixed_batch_size(relu_model({4, 1})), 4);
  EXPECT_EQ(runtime::fixed_batch_size(relu_model({4, 1}, {-1, 1})), 1);  // dynamic batch
  EXPECT_EQ(runtime::fixed_batch_size(relu_model({1, 1})), 1);
  EXPECT_EQ(runtime::fixed_batch_size(relu_model({4, 1}), /*subgraph=*/3), 1);
}

TEST(RunDataset, ShortLastBatchRunsEverySample) {
  auto seen = run(relu_model({1, 1}, {-1, 1}), ramp(5), {.batch_size = 2});
  ASSERT_TRUE(seen.has_value()) << seen.status().message();
  ASSERT_EQ(seen->batches.size(), 3u);
  EXPECT_EQ(seen->batches[2].begin, 4);
  EXPECT_EQ(seen->batches[2].end, 5);
  EXPECT_EQ(seen->batches[2].rows, 1);
  EXPECT_EQ(seen->outputs, (std::vector<float>{0, 0, 2, 0, 4}));
}

TEST(RunDataset, DropLeavesOutAnIncompleteLastBatchAndMaxSamplesCuts) {
  auto seen = run(relu_model({2, 1}), ramp(7), {.batch_size = 2, .last_batch = runtime::LastBatch::kDrop});
  ASSERT_TRUE(seen.has_value()) << seen.status().message();
  EXPECT_EQ(seen->batches.size(), 3u);
  EXPECT_EQ(seen->outputs, (std::vector<float>{0, 0, 2, 0, 4, 0}));
  seen = run(relu_model({1, 1}, {-1, 1}), ramp(7), {.batch_size = 3, .max_samples = 4});
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->outputs, (std::vector<float>{0, 0, 2, 0}));
}

TEST(RunDataset, PadFillsTheLastBatchWithCopiesOfItsLastSample) {
  auto seen = run(relu_model({4, 1}), ramp(6), {.batch_size = 4, .last_batch = runtime::LastBatch::kPad});
  ASSERT_TRUE(seen.has_value()) << seen.status().message();
  ASSERT_EQ(seen->batches.size(), 2u);
  EXPECT_EQ(seen->batches[1].begin, 4);
  EXPECT_EQ(seen->batches[1].end, 6);
  EXPECT_EQ(seen->batches[1].rows, 4);
  EXPECT_EQ(seen->outputs, (std::vector<float>{0, 0, 2, 0, 4, 0, 0, 0}));  // sample 5 (-5) three times
}

TEST(RunDataset, ErrorsNameTheSamplesAndTheModel) {
  const ir::Model model = relu_model({1, 2});
  auto interp = runtime::Interpreter::create(model, 0, {}).value();
  runtime::Interpreter* models[] = {interp.get()};
  runtime::DatasetRunOptions o{.what = "calibration", .model_names = {"float model"}};
  const Status s = runtime::run_dataset(models, ramp(3), o);  // [3, 1] samples, input [1, 2]
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("float model, calibration samples [0, 1): a sample has shape [1] but the model input "
                             "'in' takes [2] per sample"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(runtime::run_dataset(models, ramp(3), {.batch_size = 0}).code(), StatusCode::kInvalidArgument);
}

TEST(InputBatch, ReshapesSameSizedSamplesAndQuantizesFloatsForAnIntegerInput) {
  ir::Tensor input;
  input.name = "q";
  input.dtype = DType::kInt8;
  input.shape = {1, 2, 1};
  input.quantization = ir::Quantization{};
  input.quantization->scale = {0.5f};
  input.quantization->zero_point = {-1};
  Array x{DType::kFloat32, {3, 2}, std::vector<uint8_t>(6 * sizeof(float))};
  const float values[] = {0, 1, -1, 2, 100, -100};
  std::memcpy(x.data.data(), values, sizeof values);
  auto batch = runtime::input_batch(x, 1, 3, 3, input);
  ASSERT_TRUE(batch.has_value()) << batch.status().message();
  EXPECT_EQ(batch->dtype, DType::kInt8);
  EXPECT_EQ(batch->shape, (std::vector<int64_t>{3, 2, 1}));
  const int8_t* q = batch->as<int8_t>();
  // round(v / 0.5) - 1, clamped; the third row repeats the second.
  EXPECT_EQ(std::vector<int8_t>(q, q + 6), (std::vector<int8_t>{-3, 3, 127, -128, 127, -128}));
  Array ints{DType::kInt32, {1, 2}, std::vector<uint8_t>(8)};
  EXPECT_EQ(runtime::input_batch(ints, 0, 1, 1, input).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tfc
