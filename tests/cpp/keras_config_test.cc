// parse_model_config: both config dialects (Keras 3 config.json, Keras 2
// model_config), Sequential chains, nested models, and the one error that
// names every layer tfcompress cannot lower.
#include <gtest/gtest.h>

#include "importers/keras/keras_model.h"

namespace tfc::importers::keras {
namespace {

using json = nlohmann::json;

json k3_tensor(const std::string& layer, int node = 0, int tensor = 0) {
  return {{"class_name", "__keras_tensor__"},
          {"config", {{"shape", {nullptr, 4}}, {"dtype", "float32"}, {"keras_history", {layer, node, tensor}}}}};
}

json k3_layer(const std::string& cls, const std::string& name, json config, json args) {
  config["name"] = name;
  json nodes = json::array();
  if (!args.is_null()) nodes.push_back({{"args", args}, {"kwargs", json::object()}});
  return {{"module", "keras.layers"}, {"class_name", cls}, {"config", config}, {"registered_name", nullptr},
          {"name", name}, {"inbound_nodes", nodes}};
}

TEST(KerasConfig, Keras3FunctionalCallsAndListArguments) {
  json layers = json::array({
      k3_layer("InputLayer", "a", {{"batch_shape", {nullptr, 4}}}, nullptr),
      k3_layer("InputLayer", "b", {{"batch_shape", {nullptr, 4}}}, nullptr),
      k3_layer("Add", "add", json::object(), json::array({json::array({k3_tensor("a"), k3_tensor("b")})})),
      k3_layer("Dense", "dense", {{"units", 2}}, json::array({k3_tensor("add")})),
  });
  json cfg = {{"class_name", "Functional"},
              {"config", {{"name", "m"}, {"layers", layers},
                          {"input_layers", {{"a", 0, 0}, {"b", 0, 0}}}, {"output_layers", {"dense", 0, 0}}}}};
  auto m = parse_model_config(cfg, 3);
  ASSERT_TRUE(m.has_value()) << m.status().message();
  EXPECT_EQ(m->name, "m");
  ASSERT_EQ(m->layers.size(), 4u);
  const Layer* add = m->find("add");
  ASSERT_NE(add, nullptr);
  ASSERT_EQ(add->calls.size(), 1u);
  ASSERT_EQ(add->calls[0].inputs.size(), 2u);
  EXPECT_EQ(add->calls[0].inputs[0].layer, "a");
  EXPECT_EQ(add->calls[0].inputs[1].layer, "b");
  ASSERT_EQ(m->inputs.size(), 2u);
  ASSERT_EQ(m->outputs.size(), 1u);  // a single triple
  EXPECT_EQ(m->outputs[0].layer, "dense");
}

TEST(KerasConfig, Keras2FunctionalInboundNodes) {
  json layers = json::array({
      {{"class_name", "InputLayer"}, {"name", "in"}, {"config", {{"batch_input_shape", {nullptr, 3}}, {"name", "in"}}},
       {"inbound_nodes", json::array()}},
      {{"class_name", "Dense"}, {"name", "d1"}, {"config", {{"units", 2}, {"name", "d1"}}},
       {"inbound_nodes", {{{"in", 0, 0, json::object()}}}}},
      {{"class_name", "Concatenate"}, {"name", "cat"}, {"config", {{"name", "cat"}}},
       {"inbound_nodes", {{{"d1", 0, 0, json::object()}, {"in", 0, 0, json::object()}}}}},
  });
  json cfg = {{"class_name", "Model"},
              {"config", {{"name", "old"}, {"layers", layers}, {"input_layers", {{"in", 0, 0}}},
                          {"output_layers", {{"cat", 0, 0}}}}}};
  auto m = parse_model_config(cfg, 2);
  ASSERT_TRUE(m.has_value()) << m.status().message();
  EXPECT_EQ(m->class_name, "Functional");
  const Layer* cat = m->find("cat");
  ASSERT_EQ(cat->calls.size(), 1u);
  ASSERT_EQ(cat->calls[0].inputs.size(), 2u);
  EXPECT_EQ(cat->calls[0].inputs[0].layer, "d1");
  EXPECT_EQ(cat->calls[0].inputs[1].layer, "in");
}

TEST(KerasConfig, SequentialBothDialects) {
  // Keras 2: the input shape on the first layer; an InputLayer is made for it.
  json k2 = {{"class_name", "Sequential"},
             {"config", {{"name", "seq"},
                         {"layers", {{{"class_name", "Dense"},
                                      {"config", {{"name", "d"}, {"units", 2}, {"batch_input_shape", {nullptr, 3}}}}},
                                     {{"class_name", "ReLU"}, {"config", {{"name", "r"}}}}}}}}};
  auto m2 = parse_model_config(k2, 2);
  ASSERT_TRUE(m2.has_value()) << m2.status().message();
  ASSERT_EQ(m2->layers.size(), 3u);
  EXPECT_EQ(m2->layers[0].class_name, "InputLayer");
  EXPECT_EQ(m2->layers[0].config["batch_shape"], json({nullptr, 3}));
  EXPECT_EQ(m2->layers[2].calls.at(0).inputs.at(0).layer, "d");
  EXPECT_EQ(m2->outputs.at(0).layer, "r");
  // Keras 3: an InputLayer first.
  json k3 = {{"class_name", "Sequential"},
             {"config", {{"name", "seq3"},
                         {"layers", {{{"class_name", "InputLayer"}, {"config", {{"name", "x"}, {"batch_shape", {nullptr, 3}}}}},
                                     {{"class_name", "Dense"}, {"config", {{"name", "d"}, {"units", 2}}}}}}}}};
  auto m3 = parse_model_config(k3, 3);
  ASSERT_TRUE(m3.has_value()) << m3.status().message();
  ASSERT_EQ(m3->layers.size(), 2u);
  EXPECT_EQ(m3->inputs.at(0).layer, "x");
  EXPECT_EQ(m3->layers[1].calls.at(0).inputs.at(0).layer, "x");
}

TEST(KerasConfig, SequentialWithoutInputShapeIsRefused) {
  json cfg = {{"class_name", "Sequential"},
              {"config", {{"name", "s"}, {"layers", {{{"class_name", "Dense"}, {"config", {{"name", "d"}, {"units", 2}}}}}}}}};
  auto m = parse_model_config(cfg, 2);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("no input shape"), std::string::npos);
}

TEST(KerasConfig, NestedModelParsesRecursively) {
  json inner = {{"class_name", "Sequential"},
                {"name", "inner"},
                {"config", {{"name", "inner"},
                            {"layers", {{{"class_name", "InputLayer"}, {"config", {{"name", "ix"}, {"batch_shape", {nullptr, 4}}}}},
                                        {{"class_name", "Dense"}, {"config", {{"name", "d"}, {"units", 2}}}}}}}},
                {"inbound_nodes", {{{"args", {k3_tensor("x")}}, {"kwargs", json::object()}}}}};
  json cfg = {{"class_name", "Functional"},
              {"config", {{"name", "outer"},
                          {"layers", {k3_layer("InputLayer", "x", {{"batch_shape", {nullptr, 4}}}, nullptr), inner}},
                          {"input_layers", {"x", 0, 0}}, {"output_layers", {"inner", 0, 0}}}}};
  auto m = parse_model_config(cfg, 3);
  ASSERT_TRUE(m.has_value()) << m.status().message();
  const Layer* l = m->find("inner");
  ASSERT_NE(l, nullptr);
  ASSERT_NE(l->nested, nullptr);
  EXPECT_EQ(l->nested->layers.size(), 2u);
  EXPECT_EQ(l->calls.at(0).inputs.at(0).layer, "x");
}

TEST(KerasConfig, Keras2NestedModelCallsNumberFromOneAndGeluOpLambda) {
  json inner = {{"class_name", "Sequential"},
                {"name", "blk"},
                {"config", {{"name", "blk"},
                            {"layers", {{{"class_name", "InputLayer"}, {"config", {{"name", "bi"}, {"batch_input_shape", {nullptr, 4}}}}},
                                        {{"class_name", "Dense"}, {"config", {{"name", "bd"}, {"units", 4}}}}}}}},
                {"inbound_nodes", {{{"x", 0, 0, json::object()}}, {{"blk", 1, 0, json::object()}}}}};
  json gelu = {{"class_name", "TFOpLambda"},
               {"name", "tf.nn.gelu"},
               {"config", {{"name", "tf.nn.gelu"}, {"function", "nn.gelu"}}},
               {"inbound_nodes", json::array({json::array({"blk", 2, 0, {{"approximate", true}}})})}};
  json cfg = {{"class_name", "Functional"},
              {"config", {{"name", "m"},
                          {"layers", {{{"class_name", "InputLayer"}, {"name", "x"}, {"config", {{"name", "x"}, {"batch_input_shape", {nullptr, 4}}}},
                                       {"inbound_nodes", json::array()}},
                                      inner, gelu}},
                          {"input_layers", {{"x", 0, 0}}},
                          {"output_layers", {{"tf.nn.gelu", 0, 0}}}}}};
  auto m = parse_model_config(cfg, 2);
  ASSERT_TRUE(m.has_value()) << m.status().message();
  const Layer* blk = m->find("blk");
  ASSERT_EQ(blk->calls.size(), 2u);
  EXPECT_EQ(blk->calls[1].inputs.at(0).node, 0);  // "blk", 1 -> its first saved call
  const Layer* g = m->find("tf.nn.gelu");
  EXPECT_EQ(g->class_name, "Gelu");
  EXPECT_EQ(g->config["approximate"], true);
  EXPECT_EQ(g->calls.at(0).inputs.at(0).node, 1);  // "blk", 2 -> its second call
}

TEST(KerasConfig, NamesEveryUnsupportedLayerAtOnce) {
  json layers = json::array({
      k3_layer("InputLayer", "x", {{"batch_shape", {nullptr, 4}}}, nullptr),
      k3_layer("Lambda", "my_lambda", json::object(), json::array({k3_tensor("x")})),
      k3_layer("LSTM", "lstm", json::object(), json::array({k3_tensor("my_lambda")})),
  });
  json custom = k3_layer("Dense", "fancy", json::object(), json::array({k3_tensor("lstm")}));
  custom["registered_name"] = "MyPackage>FancyDense";
  layers.push_back(custom);
  json cfg = {{"class_name", "Functional"},
              {"config", {{"name", "m"}, {"layers", layers}, {"input_layers", {"x", 0, 0}}, {"output_layers", {"fancy", 0, 0}}}}};
  auto m = parse_model_config(cfg, 3);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.status().code(), StatusCode::kUnsupported);
  const std::string& msg = m.status().message();
  EXPECT_NE(msg.find("'my_lambda' (Lambda: its Python code cannot be read)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'lstm' (LSTM"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'fancy' (MyPackage>FancyDense"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 layer(s)"), std::string::npos) << msg;
}

TEST(KerasConfig, MalformedConfigsAreInvalidArgument) {
  for (const json& cfg : {json(42), json{{"class_name", "Functional"}}, json{{"class_name", "Functional"}, {"config", {{"layers", 3}}}},
                          json{{"class_name", "Functional"},
                               {"config", {{"name", "m"}, {"layers", json::array({k3_layer("InputLayer", "x", {{"batch_shape", {nullptr, 4}}}, nullptr)})},
                                           {"input_layers", {"x", 0, 0}}, {"output_layers", {"nowhere", 0, 0}}}}}}) {
    auto m = parse_model_config(cfg, 3);
    ASSERT_FALSE(m.has_value()) << cfg.dump();
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument) << m.status().message();
  }
}

}  // namespace
}  // namespace tfc::importers::keras
