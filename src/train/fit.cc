// The training loop (train/fit.h).
#include "train/fit.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iterator>

#include "io/dataset.h"
#include "io/npy.h"
#include "io/tflite_writer.h"
#include "runtime/interpreter.h"

namespace tfc::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }


std::string checkpoint_path(const FitOptions& o) { return (std::filesystem::path(o.checkpoint_dir) / "checkpoint.npz").string(); }
std::string best_path(const FitOptions& o) { return (std::filesystem::path(o.checkpoint_dir) / "best.tflite").string(); }

// The trainer's state plus where the loop stands: `epoch` and the number of
// its batches done, the best epoch and loss so far, epochs without improvement.
Status save_checkpoint(const Trainer& trainer, const FitOptions& o, int64_t epoch, int64_t batches_done,
                       int64_t best_epoch, double best_loss, int64_t patience_used) {
  std::error_code ec;
  std::filesystem::create_directories(o.checkpoint_dir, ec);
  if (ec) return invalid_argument("cannot create the checkpoint directory '{}': {}", o.checkpoint_dir, ec.message());
  std::vector<NamedArray> state = trainer.state();
  state.push_back({"loop:epoch", int64_scalar(epoch)});
  state.push_back({"loop:batches_done", int64_scalar(batches_done)});
  state.push_back({"loop:best_epoch", int64_scalar(best_epoch)});
  int64_t bits;
  std::memcpy(&bits, &best_loss, 8);
  state.push_back({"loop:best_loss_bits", int64_scalar(bits)});
  state.push_back({"loop:patience_used", int64_scalar(patience_used)});
  return write_npz(checkpoint_path(o), state);
}

struct Validation {
  double loss = 0;
  std::optional<double> accuracy;
};

Status run_batch(runtime::Interpreter& interp, const std::vector<Array>& in) {
  for (int i = 0; i < interp.num_inputs(); ++i) TFC_RETURN_IF_ERROR(interp.set_input(i, in[static_cast<size_t>(i)]));
  return interp.invoke();
}

// Output 0 for each sample of the batch `in`, run one at a time, as one batch.
Expected<Array> run_per_sample(runtime::Interpreter& interp, const std::vector<Array>& in, int64_t rows) {
  Array all;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<Array> one;
    for (const Array& a : in) {
      TFC_ASSIGN_OR_RETURN(Array row, take_sample(a, r));
      one.push_back(std::move(row));
    }
    TFC_RETURN_IF_ERROR(run_batch(interp, one).with_context(fmt::format("validation sample {}", r)));
    Array out = interp.output(0);
    if (r == 0) {
      all = out;
      all.shape[0] = rows;
      all.data.resize(out.data.size() * static_cast<size_t>(rows));
    } else if (out.data.size() * static_cast<size_t>(rows) != all.data.size()) {
      return invalid_argument("validation: output 0 changes size between samples");
    }
    std::memcpy(all.data.data() + out.data.size() * static_cast<size_t>(r), out.data.data(), out.data.size());
  }
  return all;
}

// The exported model over every batch of `val`, on the runtime (fast kernels).
Expected<Validation> validate(const Trainer& trainer, const ir::Model& model, data::Loader& val, const FitOptions& o) {
  runtime::InterpreterOptions io;
  io.threads = o.threads;
  TFC_ASSIGN_OR_RETURN(auto interp, runtime::Interpreter::create(model, 0, io));
  std::vector<const ir::Tensor*> inputs;
  for (int i = 0; i < interp->num_inputs(); ++i) inputs.push_back(&interp->input_tensor(i));
  val.start_epoch(0);
  data::Batch batch;
  double loss_sum = 0;
  int64_t samples = 0, correct = 0;
  bool classified = true, per_sample = false, first = true;
  while (true) {
    TFC_ASSIGN_OR_RETURN(bool more, val.next(batch));
    if (!more) break;
    if (!batch.labels) return invalid_argument("the validation data has no labels");
    TFC_ASSIGN_OR_RETURN(std::vector<Array> in, model_inputs(batch, inputs, o.input_scale, o.input_offset));
    // A graph that pins batch 1 (a RESHAPE to [1, ...], as converted models have) runs sample by sample.
    if (!per_sample) {
      Status s = run_batch(*interp, in);
      if (!s.is_ok() && first) {
        per_sample = true;
      } else if (!s.is_ok()) {
        return s.with_context("validation");
      }
    }
    first = false;
    Array out;
    if (per_sample) {
      TFC_ASSIGN_OR_RETURN(out, run_per_sample(*interp, in, batch.size));
    } else {
      out = interp->output(0);
    }
    if (out.dtype != DType::kFloat32) return invalid_argument("the model's output 0 is not float32");
    TFC_ASSIGN_OR_RETURN(double l, compute_loss(trainer.loss_options(), out.as<float>(), ir::Shape(out.shape.begin(), out.shape.end()),
                                                *batch.labels, nullptr));
    loss_sum += l * static_cast<double>(batch.size);
    auto c = count_top1_correct(out.as<float>(), ir::Shape(out.shape.begin(), out.shape.end()), *batch.labels);
    classified = classified && c.has_value();
    if (c) correct += *c;
    samples += batch.size;
  }
  if (samples == 0) return invalid_argument("the validation data has no samples");
  Validation v;
  v.loss = loss_sum / static_cast<double>(samples);
  if (classified) v.accuracy = static_cast<double>(correct) / static_cast<double>(samples);
  return v;
}

}  // namespace

Expected<std::vector<Array>> model_inputs(const data::Batch& batch, const std::vector<const ir::Tensor*>& inputs,
                                          float scale, float offset) {
  std::vector<Array> out;
  TFC_RETURN_IF_ERROR(model_inputs_into(batch, inputs, scale, offset, out));
  return out;
}

Status model_inputs_into(const data::Batch& batch, const std::vector<const ir::Tensor*>& inputs, float scale,
                         float offset, std::vector<Array>& out) {
  if (batch.inputs.size() != inputs.size()) {
    return invalid_argument("the data has {} inputs, the model {}", batch.inputs.size(), inputs.size());
  }
  out.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Array& a = batch.inputs[i];
    const ir::Tensor& t = *inputs[i];
    int64_t per_model = 1;
    for (size_t d = 1; d < t.shape.size(); ++d) per_model *= t.shape[d];
    const int64_t per_data = batch.size > 0 ? a.num_elements() / batch.size : 0;
    if (t.shape.empty() || per_model != per_data) {
      return invalid_argument("input '{}' takes samples of shape [{}], the data has samples of shape [{}]", t.name,
                              fmt::join(t.shape.begin() + (t.shape.empty() ? 0 : 1), t.shape.end(), ","),
                              fmt::join(a.shape.begin() + (a.shape.empty() ? 0 : 1), a.shape.end(), ","));
    }
    Array& x = out[i];
    x.dtype = t.dtype;
    x.shape.assign(t.shape.begin(), t.shape.end());
    x.shape[0] = batch.size;
    if (a.dtype == t.dtype) {
      x.data.assign(a.data.begin(), a.data.end());
    } else if (t.dtype == DType::kFloat32 && (a.dtype == DType::kUInt8 || a.dtype == DType::kInt8 ||
                                              a.dtype == DType::kInt32 || a.dtype == DType::kInt64)) {
      x.data.resize(static_cast<size_t>(x.num_elements()) * 4);
      float* dst = x.as<float>();
      for (int64_t k = 0; k < x.num_elements(); ++k) {
        double v = 0;
        switch (a.dtype) {
          case DType::kUInt8: v = a.as<uint8_t>()[k]; break;
          case DType::kInt8: v = a.as<int8_t>()[k]; break;
          case DType::kInt32: v = a.as<int32_t>()[k]; break;
          default: v = static_cast<double>(a.as<int64_t>()[k]); break;
        }
        dst[k] = static_cast<float>(v) * scale + offset;
      }
    } else {
      return invalid_argument("input '{}' takes {}, the data is {}", t.name, dtype_name(t.dtype), dtype_name(a.dtype));
    }
  }
  return Status::ok();
}

Expected<FitResult> fit(Trainer& trainer, data::Loader& train, data::Loader* val, const LrSchedule& schedule,
                        const FitOptions& o) {
  FitResult r;
  if (!o.checkpoint_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.checkpoint_dir, ec);
    if (ec) return invalid_argument("cannot create the checkpoint directory '{}': {}", o.checkpoint_dir, ec.message());
  }
  const std::vector<const ir::Tensor*> inputs = trainer.data_inputs();
  int64_t start_epoch = 0, skip_batches = 0, best_epoch = -1, patience_used = 0;
  double best_loss = std::numeric_limits<double>::infinity();
  if (o.resume) {
    if (o.checkpoint_dir.empty()) return invalid_argument("--resume needs --checkpoint DIR");
    TFC_ASSIGN_OR_RETURN(auto state, read_npz(checkpoint_path(o)));
    TFC_RETURN_IF_ERROR(trainer.load_state(state).with_context(checkpoint_path(o)));
    start_epoch = find_int64(state, "loop:epoch").value_or(0);
    skip_batches = find_int64(state, "loop:batches_done").value_or(0);
    best_epoch = find_int64(state, "loop:best_epoch").value_or(-1);
    patience_used = find_int64(state, "loop:patience_used").value_or(0);
    const int64_t bits = find_int64(state, "loop:best_loss_bits").value_or(0);
    std::memcpy(&best_loss, &bits, 8);
    if (best_epoch < 0) best_loss = std::numeric_limits<double>::infinity();
  }
  const int64_t per_epoch = train.batches_per_epoch();
  if (per_epoch == 0) return invalid_argument("the training data has fewer samples than one batch");
  int64_t samples = 0;
  double train_seconds = 0;
  data::Batch batch;
  std::vector<Array> in;  // the model's inputs, their buffers reused from step to step
  std::string suffix;     // the progress line's, likewise
  bool have_best = false;
  for (int64_t epoch = start_epoch; epoch < o.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    ProgressBar bar(fmt::format("epoch {}/{}", epoch + 1, o.epochs), per_epoch, o.progress);
    train.start_epoch(epoch);
    r.step_losses.reserve(r.step_losses.size() + static_cast<size_t>(per_epoch));  // once an epoch, not each step
    double loss_sum = 0;
    int64_t seen = 0, correct = 0, done = 0;
    bool classified = true;
    for (int64_t b = 0; b < per_epoch; ++b) {
      TFC_ASSIGN_OR_RETURN(bool more, train.next(batch));
      if (!more) break;
      if (b < skip_batches) continue;
      if (!batch.labels) return invalid_argument("the training data has no labels");
      TFC_RETURN_IF_ERROR(model_inputs_into(batch, inputs, o.input_scale, o.input_offset, in));
      const double lr = schedule.lr(trainer.steps_done());
      const auto step_start = Clock::now();
      TFC_ASSIGN_OR_RETURN(StepResult s, trainer.step(in, *batch.labels, lr));
      train_seconds += seconds_since(step_start);
      if (!std::isfinite(s.loss)) {
        return check_failed("the loss became {} at step {} (epoch {}, batch {}); training stopped{}", s.loss,
                            trainer.steps_done() + 1, epoch + 1, b + 1,
                            r.checkpoint.empty() ? std::string(", no checkpoint was written")
                                                 : fmt::format("; the last good checkpoint is {}", r.checkpoint));
      }
      r.step_losses.push_back(s.loss);
      ++r.steps;
      samples += s.samples;
      loss_sum += s.loss * static_cast<double>(s.samples);
      seen += s.samples;
      correct += s.correct;
      classified = classified && s.classified;
      done = b + 1;
      suffix.clear();
      if (classified) {
        fmt::format_to(std::back_inserter(suffix), "loss {:.4f} acc {:.4f}", loss_sum / seen,
                       static_cast<double>(correct) / seen);
      } else {
        fmt::format_to(std::back_inserter(suffix), "loss {:.4f}", loss_sum / seen);
      }
      bar.set_suffix(suffix);
      bar.update(done);
      const bool out_of_steps = o.max_steps > 0 && r.steps >= o.max_steps;
      if ((o.interrupt && o.interrupt->load()) || out_of_steps) {
        if (!o.checkpoint_dir.empty() && done < per_epoch) {
          TFC_RETURN_IF_ERROR(save_checkpoint(trainer, o, epoch, done, best_epoch, best_loss, patience_used));
          r.checkpoint = checkpoint_path(o);
        }
        r.interrupted = !out_of_steps;
        break;
      }
    }
    skip_batches = 0;
    bar.finish();
    const bool partial = done < per_epoch;
    EpochRecord rec;
    rec.epoch = epoch;
    rec.train_loss = seen ? loss_sum / seen : 0;
    if (classified && seen) rec.train_accuracy = static_cast<double>(correct) / seen;
    double monitored = rec.train_loss;
    TFC_ASSIGN_OR_RETURN(ir::Model model, trainer.export_model());
    if (val) {
      TFC_ASSIGN_OR_RETURN(Validation v, validate(trainer, model, *val, o));
      rec.val_loss = v.loss;
      rec.val_accuracy = v.accuracy;
      monitored = v.loss;
    }
    rec.seconds = seconds_since(epoch_start);
    if (!partial || !have_best) {
      const bool better = !val || monitored < best_loss || !have_best;
      if (better) {
        best_loss = monitored;
        best_epoch = epoch;
        r.best = std::move(model);
        have_best = true;
        patience_used = 0;
        if (!o.checkpoint_dir.empty()) {
          TFC_RETURN_IF_ERROR(io::write_tflite(best_path(o), r.best));
        }
      } else {
        ++patience_used;
      }
    }
    if (!partial) {
      r.epochs.push_back(rec);
      if (!o.checkpoint_dir.empty()) {
        TFC_RETURN_IF_ERROR(save_checkpoint(trainer, o, epoch + 1, 0, best_epoch, best_loss, patience_used));
        r.checkpoint = checkpoint_path(o);
      }
    }
    if (partial) break;
    if (val && o.early_stopping > 0 && patience_used >= o.early_stopping) {
      r.stopped_early = true;
      break;
    }
  }
  r.best_epoch = best_epoch;
  r.samples_per_second = train_seconds > 0 ? static_cast<double>(samples) / train_seconds : 0;
  if (!have_best) {
    TFC_ASSIGN_OR_RETURN(r.best, trainer.export_model());
  }
  return r;
}

}  // namespace tfc::train
