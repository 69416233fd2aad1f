// Comparisons between the models of a report: deltas of a model against the
// baseline and the Pareto fronts of accuracy against size and p50 latency
// (over metrics.h's pareto_front). eval fills the report with them; the
// renderers fall back on them for a report that lacks them.
// Not: error profiles of outputs (metrics.h), rendering (report/).
#pragma once

#include <vector>

#include "report/report.h"

namespace tfc::eval {

// `model` against `base`: differences and ratios of every figure both hold,
// and per-class accuracy changes when both are classifiers with the same
// classes (a class whose figure either lacks gets NaN, written null).
report::Deltas deltas_against(const report::ModelEntry& model, const report::ModelEntry& base);

// The fronts over `entries` (baseline first when there is one), by name.
report::Pareto pareto_of(const std::vector<const report::ModelEntry*>& entries);

}  // namespace tfc::eval
