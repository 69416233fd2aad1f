// A SavedModel signature as one flat graph: the signature's inputs and
// outputs followed into the graph, every StatefulPartitionedCall /
// PartitionedCall replaced by the body of the function it calls (recursively,
// depth-limited), Identity / IdentityN / StopGradient resolved to what they
// forward. What is left are the nodes to lower, producers first. Also which
// checkpoint key holds each variable (from the object graphs, or the restore
// function).
// Not here: lowering to IR (savedmodel_lower.h), reading variables.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "saved_model.pb.h"
#include "tensor_bundle.pb.h"

namespace tfc::importers::savedmodel {

// Output `index` of flat node `node`.
struct TensorRef {
  int node = -1;
  int index = 0;
};

struct FlatNode {
  const tfproto::NodeDef* def = nullptr;  // op, name and attributes
  std::vector<TensorRef> inputs;          // data inputs in order (control inputs dropped)
};

struct SignatureInput {
  std::string key;                      // the signature's name for it
  int node = -1;                        // its Placeholder in `nodes`
  const tfproto::TensorInfo* info = nullptr;
};

struct FlatGraph {
  std::string signature;
  std::vector<FlatNode> nodes;  // producers before consumers
  std::vector<SignatureInput> inputs;          // by key
  std::vector<std::string> output_keys;        // by key
  std::vector<std::string> output_tensor_names;  // the graph tensors they name ("StatefulPartitionedCall:0")
  std::vector<TensorRef> outputs;
};

struct FlattenLimits {
  int max_call_depth = 32;           // nested function calls (a call cycle stops here)
  int64_t max_nodes = int64_t{1} << 22;  // nodes visited over all inlined bodies
};

// The signature `key` (empty: serving_default, else the only one) of `graph`.
Expected<FlatGraph> flatten_signature(const tfproto::MetaGraphDef& graph, const std::string& key,
                                      const FlattenLimits& limits = {});

// Checkpoint key of each variable (VarHandleOp node name -> key): the
// variables a signature call captures are its function's bound inputs
// (object graph node ids, the same in `checkpoint`, the checkpoint's object
// graph, which names their keys); others from the restore function the
// SavedModel's saver calls (RestoreV2 tensor names -> AssignVariableOps).
Expected<std::map<std::string, std::string>> variable_checkpoint_keys(const tfproto::MetaGraphDef& graph,
                                                                     const tfproto::TrackableObjectGraph& checkpoint);

}  // namespace tfc::importers::savedmodel
