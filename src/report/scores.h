// Human- and machine-readable printing of scores and dataset statistics.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "data/metrics.h"
#include "data/stats.h"

namespace jointnlu::report {

// The four official figures on one line each, then per-key slot P/R/F1 and the most frequent
// confusions.
void print_scores(std::ostream& out, const Scores& s, bool details = true);
nlohmann::ordered_json scores_json(const Scores& s);

void print_stats(std::ostream& out, const DatasetStats& st);
nlohmann::ordered_json stats_json(const DatasetStats& st);

}  // namespace jointnlu::report
