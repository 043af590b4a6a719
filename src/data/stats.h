// Summary statistics of a labelled data file, as printed by `jointnlu data stats`.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace jointnlu {

struct LengthSummary {
  std::size_t min = 0, max = 0, p50 = 0, p90 = 0, p99 = 0;
  double mean = 0.0;
};

struct DatasetStats {
  std::string path;
  DataFormat format = DataFormat::kAuto;
  std::size_t records = 0;  // records in the file
  std::size_t aligned = 0;  // records that parsed and aligned
  std::map<std::string, std::size_t> domains;
  std::map<std::string, std::size_t> intents;    // "domain/intent"
  std::map<std::string, std::size_t> slot_keys;  // occurrences (a list value counts each element)
  std::size_t slot_values = 0;
  std::size_t list_valued = 0;      // keys that hold several values in one record
  LengthSummary length;             // in characters
  std::vector<DataError> problems;  // every parse or alignment problem
  // Records with a slot value nested in another (kept as the outer span under
  // NestedSlots::kKeepOuter); each entry names the record and the inner pairs that flat tags cannot
  // express.
  std::vector<DataError> nested;
};

// Reads the file with every record problem collected (never stops at the first one). Throws
// DataError only when the file as a whole is unreadable (missing, malformed JSON document...).
DatasetStats compute_stats(const std::string& path, ReadOptions options);

}  // namespace jointnlu
