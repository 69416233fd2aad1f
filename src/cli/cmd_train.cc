// `tfcompress train MODEL --data TRAIN -o OUT.tflite`: fine-tunes (or, with
// --reinit, trains from scratch) any float model tfcompress can read, natively
// (train/trainer.h, train/fit.h), and writes the best model as TFLite.
// `--gradients OUT.npz` computes the loss and every parameter's gradient on
// the first batch instead, for checking against other frameworks.
#include <csignal>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "data/loader.h"
#include "data/source.h"
#include "importers/import.h"
#include "io/npy.h"
#include "io/tflite_writer.h"
#include "train/fit.h"

namespace tfc::cli {
namespace {

struct TrainCmdOptions {
  std::string model, data, val, output, gradients, checkpoint;
  std::string signature, normalize;
  int64_t epochs = 1, steps = 0, batch = 32, early_stopping = 0;
  double lr = 1e-3;
  std::string optimizer = "adam", schedule = "constant", loss = "sparse-ce";
  double momentum = 0, weight_decay = -1, clipnorm = 0, global_clipnorm = 0, clipvalue = 0;
  bool nesterov = false, no_shuffle = false, reinit = false, resume = false, json = false, logits = false;
  float temperature = 1, input_scale = 1, input_offset = 0;
  std::vector<std::string> freeze;
  uint64_t seed = 0;
  int threads = 1, augment_crop = 0;
  bool augment_flip = false;
};

// Ctrl-C: the loop stops after the current step and keeps the last checkpoint.
std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted.store(true); }

// Whether output 0 comes from a SOFTMAX (or LOGISTIC): the loss then reads probabilities.
bool ends_in_probabilities(const ir::Model& m) {
  const ir::Subgraph& g = m.subgraphs.at(0);
  if (g.outputs.empty()) return false;
  for (const ir::Op& op : g.ops) {
    for (ir::TensorId id : op.outputs) {
      if (id == g.outputs[0]) {
        return op.code.builtin == tflite::BuiltinOperator_SOFTMAX || op.code.builtin == tflite::BuiltinOperator_LOGISTIC;
      }
    }
  }
  return false;
}

std::vector<std::string> input_names(const ir::Model& m) {
  std::vector<std::string> names;
  const ir::Subgraph& g = m.subgraphs.at(0);
  for (ir::TensorId id : g.inputs) names.push_back(g.tensors[static_cast<size_t>(id)].name);
  return names;
}

// An image folder is resized to the model's input (H, W, C) and read as
// uint8 pixels (converted by --input-scale/--input-offset), or as float32
// through --normalize, as eval and quantize read folders.
Expected<std::unique_ptr<data::Loader>> make_loader(const std::string& spec, const ir::Model& m,
                                                    const data::LoaderOptions& lo, const std::string& normalize) {
  data::SourceOptions so;
  if (data::is_image_folder(spec)) {
    const ir::Subgraph& g = m.subgraphs.at(0);
    const ir::Tensor& in = g.tensors.at(static_cast<size_t>(g.inputs.at(0)));
    std::optional<data::Normalization> norm;
    if (!normalize.empty()) {
      TFC_ASSIGN_OR_RETURN(norm, data::parse_normalization(normalize));
    }
    so.image = data::image_options_for_input(std::vector<int64_t>(in.shape.begin(), in.shape.end()), in.dtype, norm);
  }
  TFC_ASSIGN_OR_RETURN(std::unique_ptr<data::Source> src, data::open_source(spec, input_names(m), so));
  return data::Loader::create(std::shared_ptr<const data::Source>(std::move(src)), lo);
}

Expected<train::OptimizerOptions> optimizer_options(const TrainCmdOptions& o) {
  train::OptimizerOptions opt;
  TFC_ASSIGN_OR_RETURN(opt.kind, train::parse_optimizer_kind(o.optimizer));
  opt.momentum = o.momentum;
  opt.nesterov = o.nesterov;
  if (o.weight_decay >= 0) opt.weight_decay = o.weight_decay;
  opt.clipnorm = o.clipnorm;
  opt.global_clipnorm = o.global_clipnorm;
  opt.clipvalue = o.clipvalue;
  return opt;
}

Status write_gradients(const TrainCmdOptions& o, train::Trainer& trainer, data::Loader& loader) {
  loader.start_epoch(0);
  data::Batch batch;
  TFC_ASSIGN_OR_RETURN(bool any, loader.next(batch));
  if (!any || !batch.labels) return invalid_argument("the data has no full batch of {} labelled samples", o.batch);
  TFC_ASSIGN_OR_RETURN(std::vector<Array> in,
                       train::model_inputs(batch, trainer.data_inputs(), o.input_scale, o.input_offset));
  TFC_ASSIGN_OR_RETURN(train::StepResult r, trainer.gradients(in, *batch.labels));
  std::vector<NamedArray> out;
  const float loss = static_cast<float>(r.loss);
  out.push_back({"loss", train::float_array({}, &loss)});
  const ir::Subgraph& g = trainer.graph().model.subgraphs[0];
  for (const train::ParamBuffer& p : trainer.params()) {
    if (!p.frozen) out.push_back({p.name, train::float_array(g.tensors[static_cast<size_t>(p.tensor)].shape, p.grad.data())});
  }
  for (NamedArray& n : trainer.last_noise()) out.push_back({"noise:" + n.name, std::move(n.array)});
  TFC_RETURN_IF_ERROR(write_npz(o.gradients, out));
  if (o.json) {
    fmt::print("{}\n", nlohmann::json{{"loss", r.loss}, {"parameters", out.size() - 1}, {"output", o.gradients}}.dump(2));
  } else {
    fmt::print("loss {:.6f}; gradients of {} parameters written to {}\n", r.loss, trainer.params().size(), o.gradients);
  }
  return Status::ok();
}

nlohmann::json summary_json(const TrainCmdOptions& o, const train::FitResult& r, const train::Trainer& t) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : r.epochs) {
    nlohmann::json j{{"epoch", e.epoch + 1}, {"train_loss", e.train_loss}, {"seconds", e.seconds}};
    if (e.train_accuracy) j["train_accuracy"] = *e.train_accuracy;
    if (e.val_loss) j["val_loss"] = *e.val_loss;
    if (e.val_accuracy) j["val_accuracy"] = *e.val_accuracy;
    epochs.push_back(j);
  }
  nlohmann::json j{{"model", o.model},
                   {"output", o.output},
                   {"steps", r.steps},
                   {"epochs", r.epochs.size()},
                   {"epoch_records", epochs},
                   {"step_losses", r.step_losses},
                   {"best_epoch", r.best_epoch + 1},
                   {"samples_per_second", r.samples_per_second},
                   {"stopped_early", r.stopped_early},
                   {"parameters", t.params().size()}};
  if (!r.epochs.empty()) {
    const auto& last = r.epochs.back();
    if (last.train_accuracy) j["train_accuracy"] = *last.train_accuracy;
    for (const auto& e : r.epochs) {
      if (e.epoch == r.best_epoch) {
        if (e.val_loss) j["val_loss"] = *e.val_loss;
        if (e.val_accuracy) j["val_accuracy"] = *e.val_accuracy;
      }
    }
  }
  if (!r.checkpoint.empty()) j["checkpoint"] = r.checkpoint;
  return j;
}

Status run_train(const TrainCmdOptions& o) {
  if (o.gradients.empty() && o.output.empty()) return invalid_argument("give -o OUT.tflite (or --gradients OUT.npz)");
  importers::ImportOptions io;
  io.signature = o.signature;
  io.training = true;
  TFC_ASSIGN_OR_RETURN(importers::Imported imported, importers::import_model(o.model, io));
  train::TrainerOptions to;
  to.batch = o.batch;
  to.freeze = o.freeze;
  to.seed = o.seed;
  to.reinit = o.reinit;
  to.executor.threads = std::max(1, o.threads);
  TFC_ASSIGN_OR_RETURN(to.loss.kind, train::parse_loss_kind(o.loss));
  to.loss.from_logits = o.logits || !ends_in_probabilities(imported.model);
  to.loss.temperature = o.temperature;
  // A .tflite has no training state: its parameters follow train_graph.h's rule for plain graphs.
  const importers::TrainingState* state = imported.format == importers::Format::kTflite ? nullptr : &imported.training;
  TFC_ASSIGN_OR_RETURN(train::OptimizerOptions opt, optimizer_options(o));
  TFC_ASSIGN_OR_RETURN(std::unique_ptr<train::Optimizer> optimizer, train::make_optimizer(opt));
  TFC_ASSIGN_OR_RETURN(std::unique_ptr<train::Trainer> trainer,
                       train::Trainer::create(imported.model, state, to, std::move(optimizer)));
  data::LoaderOptions lo;
  lo.batch = o.batch;
  lo.shuffle = !o.no_shuffle && o.gradients.empty();
  lo.seed = o.seed;
  lo.drop_last = true;  // the training graph is planned for full batches
  lo.threads = std::max(1, o.threads);
  lo.augment.crop_padding = o.augment_crop;
  lo.augment.horizontal_flip = o.augment_flip;
  TFC_ASSIGN_OR_RETURN(auto loader, make_loader(o.data, imported.model, lo, o.normalize));
  if (!o.gradients.empty()) return write_gradients(o, *trainer, *loader);

  std::unique_ptr<data::Loader> val;
  if (!o.val.empty()) {
    data::LoaderOptions vo;
    vo.batch = o.batch;
    vo.shuffle = false;
    vo.threads = lo.threads;
    TFC_ASSIGN_OR_RETURN(val, make_loader(o.val, imported.model, vo, o.normalize));
  }
  const int64_t total = o.steps > 0 ? o.steps : o.epochs * loader->batches_per_epoch();
  TFC_ASSIGN_OR_RETURN(train::LrSchedule schedule, train::parse_schedule(o.schedule, o.lr, total));
  train::FitOptions fo;
  fo.epochs = o.steps > 0 ? std::max<int64_t>(o.epochs, (o.steps + loader->batches_per_epoch() - 1) / loader->batches_per_epoch()) : o.epochs;
  fo.max_steps = o.steps;
  fo.input_scale = o.input_scale;
  fo.input_offset = o.input_offset;
  fo.checkpoint_dir = o.checkpoint;
  fo.resume = o.resume;
  fo.early_stopping = o.early_stopping;
  fo.threads = std::max(1, o.threads);
  fo.progress = o.json ? ProgressMode::kNever : ProgressMode::kAuto;
  fo.interrupt = &g_interrupted;
  auto previous = std::signal(SIGINT, on_sigint);
  auto result = train::fit(*trainer, *loader, val.get(), schedule, fo);
  std::signal(SIGINT, previous);
  if (!result) return result.status();
  if (result->interrupted) {
    return check_failed("interrupted after step {}; nothing written to {}{}", trainer->steps_done(), o.output,
                        result->checkpoint.empty() ? std::string()
                                                   : fmt::format("; resume from {} with --resume", result->checkpoint));
  }
  TFC_RETURN_IF_ERROR(io::write_tflite(o.output, result->best));
  const nlohmann::json j = summary_json(o, *result, *trainer);
  if (o.json) {
    fmt::print("{}\n", j.dump(2));
    return Status::ok();
  }
  for (const auto& e : result->epochs) {
    fmt::print("epoch {}: loss {:.4f}{}{}{}\n", e.epoch + 1, e.train_loss,
               e.train_accuracy ? fmt::format(" acc {:.4f}", *e.train_accuracy) : "",
               e.val_loss ? fmt::format("  val_loss {:.4f}", *e.val_loss) : "",
               e.val_accuracy ? fmt::format(" val_acc {:.4f}", *e.val_accuracy) : "");
  }
  fmt::print("{} steps, {:.1f} samples/s; wrote {} (epoch {}{})\n", result->steps, result->samples_per_second, o.output,
             result->best_epoch + 1, val ? ", lowest validation loss" : "");
  return Status::ok();
}

}  // namespace

Command train_command() {
  return {"train", "Fine-tune (or train from scratch) a float model natively and write it as TFLite", [](CLI::App& app) {
            auto o = std::make_shared<TrainCmdOptions>();
            app.add_option("model", o->model, "Model: .tflite, .keras, .h5 or SavedModel directory")->required();
            app.add_option("--data", o->data, "Training data: .npz (x, y), IMAGES.idx,LABELS.idx, or an image folder")
                ->required();
            app.add_option("--val", o->val, "Validation data (same forms); evaluated after each epoch");
            app.add_option("-o,--output", o->output, "Output .tflite (the best epoch's model; written atomically)");
            app.add_option("--epochs", o->epochs, "Epochs")->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
            app.add_option("--steps", o->steps, "Stop after this many steps (0: run all epochs)")->check(CLI::NonNegativeNumber);
            app.add_option("--batch", o->batch, "Batch size")->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1} << 16));
            app.add_option("--lr", o->lr, "Base learning rate")->capture_default_str()->check(CLI::PositiveNumber);
            app.add_option("--optimizer", o->optimizer, "sgd, adam or adamw")->capture_default_str();
            app.add_option("--momentum", o->momentum, "SGD momentum")->check(CLI::Range(0.0, 1.0));
            app.add_flag("--nesterov", o->nesterov, "Nesterov momentum (SGD)");
            app.add_option("--weight-decay", o->weight_decay, "Decoupled weight decay (default: 0; AdamW 0.004)");
            app.add_option("--schedule", o->schedule,
                           "Learning-rate schedule: constant, step:EVERY:RATE, exp:EVERY:RATE, cosine[:STEPS[:ALPHA]], "
                           "piecewise:B1,..:F0,.., warmup:W[:FROM][+DECAY]")
                ->capture_default_str();
            app.add_option("--clipnorm", o->clipnorm, "Clip each gradient tensor to this L2 norm");
            app.add_option("--global-clipnorm", o->global_clipnorm, "Clip all gradients to this global L2 norm");
            app.add_option("--clipvalue", o->clipvalue, "Clip gradient values to [-v, v]");
            app.add_option("--loss", o->loss, "sparse-ce, ce, bce, mse or kl")->capture_default_str();
            app.add_flag("--from-logits", o->logits,
                         "The output is logits even though it does not come from SOFTMAX/LOGISTIC (default: told from "
                         "the graph)");
            app.add_option("--temperature", o->temperature, "Temperature of the KL loss");
            app.add_option("--freeze", o->freeze, "Keep parameters whose name matches this glob fixed (repeatable)");
            app.add_option("--seed", o->seed, "Seed of shuffling, dropout, augmentation and --reinit");
            app.add_flag("--no-shuffle", o->no_shuffle, "Feed the samples in file order");
            app.add_flag("--reinit", o->reinit, "Re-initialize the parameters (Keras's default initializers)");
            app.add_option("--augment-crop", o->augment_crop, "Random crop after zero padding by this many pixels");
            app.add_flag("--augment-flip", o->augment_flip, "Random horizontal flips");
            app.add_option("--input-scale", o->input_scale, "Integer data fed to a float input becomes x * scale + offset");
            app.add_option("--input-offset", o->input_offset, "See --input-scale");
            app.add_option("--normalize", o->normalize,
                           "Image folders: unit, symmetric, imagenet, SCALE,OFFSET or mean=M[,M,M]:std=S[,S,S] "
                           "(default: pixels 0..255, then --input-scale)");
            app.add_option("--checkpoint", o->checkpoint, "Directory for checkpoint.npz (each epoch) and best.tflite");
            app.add_flag("--resume", o->resume, "Continue from --checkpoint's checkpoint");
            app.add_option("--early-stopping", o->early_stopping,
                           "Stop after this many epochs without a lower validation loss")
                ->check(CLI::NonNegativeNumber);
            app.add_option("--threads", o->threads, "Threads for training (oneDNN), batch preparation and validation")->check(CLI::Range(1, 256));
            app.add_option("--gradients", o->gradients,
                           "Write the loss and every parameter's gradient on the first batch to this .npz and stop");
            app.add_option("--signature", o->signature, "SavedModel signature (default: serving_default)");
            app.add_flag("--json", o->json, "Print a machine-readable summary (per-step losses, epochs, speed)");
            app.footer(
                "Example:\n  tfcompress train model.keras --data train.npz --val val.npz --epochs 5 --batch 64 \\\n"
                "      --lr 1e-3 --optimizer adam --checkpoint ckpt/ -o tuned.tflite");
            return [o] { return run_train(*o); };
          }};
}

}  // namespace tfc::cli
