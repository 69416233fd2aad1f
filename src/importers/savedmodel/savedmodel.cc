#include "importers/savedmodel/savedmodel.h"

#include <filesystem>
#include <string_view>
#include <unordered_map>

#include "importers/savedmodel/flat_graph.h"
#include "importers/savedmodel/lower.h"
#include "importers/savedmodel/tf_proto.h"
#include "io/file_util.h"
#include "passes/graph_edit.h"
#include "passes/passes.h"
#include "saved_model.pb.h"
#include "tensor_bundle.pb.h"

namespace tfc::importers::savedmodel {

// The bundle entry holding the checkpoint's TrackableObjectGraph.
constexpr const char* kObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";

Expected<Imported> import_saved_model_bytes(std::span<const uint8_t> saved_model_pb, const TensorBundle& variables,
                                            const ImportOptions& options) {
  if (options.batch < 1) return invalid_argument("batch must be at least 1 (got {})", options.batch);
  tfproto::SavedModel saved;
  TFC_RETURN_IF_ERROR(parse_proto(saved_model_pb, saved, "saved_model.pb"));
  if (saved.meta_graphs_size() != 1) {
    return unsupported("saved_model.pb holds {} meta graphs; one is supported", saved.meta_graphs_size());
  }
  const tfproto::MetaGraphDef& meta = saved.meta_graphs(0);
  TFC_ASSIGN_OR_RETURN(FlatGraph graph, flatten_signature(meta, options.signature));
  tfproto::TrackableObjectGraph checkpoint;
  if (variables.contains(kObjectGraphKey)) {
    TFC_ASSIGN_OR_RETURN(std::string bytes, variables.read_string(kObjectGraphKey));
    TFC_RETURN_IF_ERROR(parse_proto({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, checkpoint,
                                    "the checkpoint's object graph"));
  }
  TFC_ASSIGN_OR_RETURN(auto keys, variable_checkpoint_keys(meta, checkpoint));
  VariableSource source = [&](const std::string& handle) -> Expected<Array> {
    auto key = keys.find(handle);
    if (key == keys.end()) return invalid_argument("no checkpoint key restores it (missing from the restore function)");
    return variables.read(key->second);
  };
  Imported out;
  out.format = Format::kSavedModel;
  TFC_ASSIGN_OR_RETURN(out.model, lower_graph(graph, source, options.batch));
  // As the converter: BiasAdd and batch norm into the conv / dense before
  // them, then RELU / RELU6 into the ops.
  TFC_RETURN_IF_ERROR(passes::fuse_like_converter(out.model).status());
  if (!options.training) passes::share_identical_constants(out.model);
  return out;
}

Expected<Imported> import_saved_model(const std::string& dir, const ImportOptions& options) {
  namespace fs = std::filesystem;
  TFC_ASSIGN_OR_RETURN(std::vector<uint8_t> pb, io::read_file((fs::path(dir) / "saved_model.pb").string()));
  TFC_ASSIGN_OR_RETURN(TensorBundle variables, TensorBundle::open_dir((fs::path(dir) / "variables").string()));
  return import_saved_model_bytes(pb, variables, options);
}

}  // namespace tfc::importers::savedmodel
