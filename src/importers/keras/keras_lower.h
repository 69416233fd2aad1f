// KerasModel -> graph IR, through one table of layer lowerings (keras_lower.cc).
// The IR equals what tf.lite.TFLiteConverter.from_keras_model makes: inference
// mode, BatchNormalization folded into the conv/dense before it, activations
// fused into the op before them where TFLite can, Dropout and noise layers
// gone; TrainingState records what training needs to undo that.
// Not here: file formats (keras_file.h).
#pragma once

#include "core/status.h"
#include "importers/import.h"
#include "importers/keras/keras_model.h"

namespace tfc::importers::keras {

// `batch`: the static batch size given to the model inputs' dynamic batch dim.
Expected<Imported> lower_keras_model(const KerasModel& model, const ImportOptions& options);

}  // namespace tfc::importers::keras
