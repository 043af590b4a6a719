#include "data/stats.h"

#include <algorithm>
#include <numeric>

namespace jointnlu {

DatasetStats compute_stats(const std::string& path, ReadOptions options) {
  options.on_error = OnError::kSkip;
  ReadReport report;
  DatasetStats st;
  st.path = path;
  const auto records = read_records(path, options, &report);
  st.format = report.format;
  st.records = report.records;
  st.problems = report.skipped;
  std::vector<std::size_t> lengths;
  for (const auto& r : records) {
    Example ex;
    try {
      ex = align(r, options.nested);
    } catch (const DataError& e) {
      st.problems.push_back(e);
      continue;
    }
    ++st.aligned;
    if (!ex.nested.empty()) {
      std::string inner;
      for (const auto& [k, v] : ex.nested) inner += (inner.empty() ? "" : ", ") + k + "=" + v;
      st.nested.emplace_back(r.where, "nested slot value kept as part of the outer span: " + inner +
                                          " ('" + abbreviate(r.text) + "')");
    }
    ++st.domains[r.domain];
    ++st.intents[r.domain + "/" + r.intent];
    std::map<std::string, std::size_t> per_key;
    for (const auto& [key, value] : r.slots) {
      ++st.slot_keys[key];
      ++per_key[key];
      ++st.slot_values;
    }
    for (const auto& [key, n] : per_key) st.list_valued += n > 1;
    lengths.push_back(ex.size());
  }
  std::sort(st.problems.begin(), st.problems.end(), [](const DataError& a, const DataError& b) {
    return a.where().record < b.where().record;
  });
  if (!lengths.empty()) {
    std::sort(lengths.begin(), lengths.end());
    auto pct = [&](double q) {
      return lengths[std::min(lengths.size() - 1,
                              static_cast<std::size_t>(q * static_cast<double>(lengths.size())))];
    };
    st.length.min = lengths.front();
    st.length.max = lengths.back();
    st.length.p50 = pct(0.5);
    st.length.p90 = pct(0.9);
    st.length.p99 = pct(0.99);
    st.length.mean =
        static_cast<double>(std::accumulate(lengths.begin(), lengths.end(), std::size_t{0})) /
        static_cast<double>(lengths.size());
  }
  return st;
}

}  // namespace jointnlu
