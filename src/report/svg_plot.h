// SVG plots of the HTML report (one <svg> element each, inline CSS classes of
// html.cc), drawn from the view (view.h). Callers draw a plot only when its
// data exists (html.cc puts a note in its place otherwise).
#pragma once

#include <string>
#include <vector>

#include "report/view.h"

namespace tfc::report::view {

// Accuracy (y, %) against `cost` (x: raw size when `size_axis`, else p50 ms)
// with `front` as a step line; some model has both figures.
std::string scatter_plot(const View& v, const char* id, const std::string& title, Num Model::*cost, bool size_axis,
                         const std::vector<std::string>& front);

// <svg id="plot-latency">: per model, the timed runs, p25-p75 box, p50, p90,
// p99 and min-max; some model has a p50 or timed runs.
std::string latency_plot(const View& v);

// <svg id="plot-class-delta">: per class, each variant's accuracy change
// against `base` (variants with as many classes as the baseline).
std::string class_delta_plot(const Model& base, const std::vector<const Model*>& variants);

}  // namespace tfc::report::view
