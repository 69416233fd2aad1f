// What both Keras harnesses (fuzz_keras_archive, fuzz_keras_h5) require of a
// model the reader gives: every weight holds exactly the bytes its dtype and
// shape need, in nested models too.
#pragma once

#include "importers/keras/keras_model.h"

namespace tfc::fuzz {

inline void check_keras_weights(const importers::keras::KerasModel& model) {
  for (const auto& layer : model.layers) {
    for (const Array& w : layer.weights) {
      if (w.data.size() != static_cast<size_t>(w.num_elements()) * dtype_size(w.dtype)) __builtin_trap();
    }
    if (layer.nested) check_keras_weights(*layer.nested);
  }
}

}  // namespace tfc::fuzz
