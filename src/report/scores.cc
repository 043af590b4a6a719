#include "report/scores.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace jointnlu::report {
namespace {

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%6.2f", 100.0 * v);
  return buf;
}

template <typename Map>
std::vector<std::pair<typename Map::key_type, std::size_t>> top(const Map& m, std::size_t n,
                                                                bool errors_only) {
  std::vector<std::pair<typename Map::key_type, std::size_t>> v;
  for (const auto& [k, c] : m)
    if (!errors_only || k.first != k.second) v.emplace_back(k, c);
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (v.size() > n) v.resize(n);
  return v;
}

nlohmann::ordered_json prf_json(const PrfCounts& c) {
  return {{"precision", c.precision()}, {"recall", c.recall()}, {"f1", c.f1()}, {"tp", c.tp},
          {"predicted", c.predicted},   {"gold", c.gold}};
}

}  // namespace

void print_scores(std::ostream& out, const Scores& s, bool details) {
  out << "utterances      " << s.utterances << "\n"
      << "domain_acc      " << pct(s.domain_accuracy()) << "\n"
      << "intent_acc      " << pct(s.intent_accuracy()) << "\n"
      << "slot_f1         " << pct(s.slot_f1()) << "\n"
      << "sentence_acc    " << pct(s.sentence_accuracy()) << "\n";
  if (!details) return;
  out << "\nslot key                       P       R      F1   gold\n";
  for (const auto& [key, c] : s.slots_by_key) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-24s %s  %s  %s  %5zu\n", key.c_str(),
                  pct(c.precision()).c_str(), pct(c.recall()).c_str(), pct(c.f1()).c_str(), c.gold);
    out << buf;
  }
  const auto domain_errors = top(s.domain_confusion, 10, true);
  if (!domain_errors.empty()) {
    out << "\nmost frequent domain confusions (gold -> predicted)\n";
    for (const auto& [k, c] : domain_errors)
      out << "  " << c << "  " << k.first << " -> " << k.second << "\n";
  }
  const auto intent_errors = top(s.intent_confusion, 10, true);
  if (!intent_errors.empty()) {
    out << "\nmost frequent intent confusions (gold -> predicted)\n";
    for (const auto& [k, c] : intent_errors)
      out << "  " << c << "  " << k.first << " -> " << k.second << "\n";
  }
}

nlohmann::ordered_json scores_json(const Scores& s) {
  nlohmann::ordered_json j;
  j["utterances"] = s.utterances;
  j["domain_acc"] = s.domain_accuracy();
  j["intent_acc"] = s.intent_accuracy();
  j["slot_f1"] = s.slot_f1();
  j["sentence_acc"] = s.sentence_accuracy();
  j["slots"] = prf_json(s.slots);
  auto& keys = j["slots_by_key"] = nlohmann::ordered_json::object();
  for (const auto& [k, c] : s.slots_by_key) keys[k] = prf_json(c);
  auto confusion = [](const auto& m) {
    auto arr = nlohmann::ordered_json::array();
    for (const auto& [k, c] : m)
      arr.push_back({{"gold", k.first}, {"predicted", k.second}, {"count", c}});
    return arr;
  };
  j["domain_confusion"] = confusion(s.domain_confusion);
  j["intent_confusion"] = confusion(s.intent_confusion);
  return j;
}

void print_stats(std::ostream& out, const DatasetStats& st) {
  out << "file            " << st.path << " (" << format_name(st.format) << ")\n"
      << "records         " << st.records << "\n"
      << "aligned         " << st.aligned << "\n"
      << "domains         " << st.domains.size() << "\n"
      << "intents         " << st.intents.size() << " (domain/intent pairs)\n"
      << "slot keys       " << st.slot_keys.size() << "\n"
      << "slot values     " << st.slot_values << " (" << st.list_valued
      << " keys with several values)\n";
  char buf[200];
  std::snprintf(
      buf, sizeof buf, "length (chars)  min %zu  p50 %zu  mean %.1f  p90 %zu  p99 %zu  max %zu\n",
      st.length.min, st.length.p50, st.length.mean, st.length.p90, st.length.p99, st.length.max);
  out << buf;
  out << "problems        " << st.problems.size() << "\n";
  out << "nested slots    " << st.nested.size()
      << " records (outer span tagged, inner value listed below)\n";
  auto counts = [&](const char* title, const std::map<std::string, std::size_t>& m) {
    out << "\n" << title << "\n";
    std::vector<std::pair<std::string, std::size_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [k, c] : v) {
      std::snprintf(buf, sizeof buf, "  %6zu  %s\n", c, k.c_str());
      out << buf;
    }
  };
  counts("domains", st.domains);
  counts("intents", st.intents);
  counts("slot keys", st.slot_keys);
  if (!st.problems.empty()) {
    out << "\nproblems\n";
    for (const auto& p : st.problems) out << "  " << p.what() << "\n";
  }
  if (!st.nested.empty()) {
    out << "\nnested slots\n";
    for (const auto& p : st.nested) out << "  " << p.what() << "\n";
  }
}

nlohmann::ordered_json stats_json(const DatasetStats& st) {
  nlohmann::ordered_json j;
  j["file"] = st.path;
  j["format"] = format_name(st.format);
  j["records"] = st.records;
  j["aligned"] = st.aligned;
  j["domains"] = st.domains;
  j["intents"] = st.intents;
  j["slot_keys"] = st.slot_keys;
  j["slot_values"] = st.slot_values;
  j["list_valued"] = st.list_valued;
  j["length"] = {{"min", st.length.min}, {"p50", st.length.p50}, {"mean", st.length.mean},
                 {"p90", st.length.p90}, {"p99", st.length.p99}, {"max", st.length.max}};
  auto errors = [](const std::vector<DataError>& list) {
    auto arr = nlohmann::ordered_json::array();
    for (const auto& p : list)
      arr.push_back({{"file", p.where().file},
                     {"record", p.where().record},
                     {"line", p.where().line},
                     {"reason", p.reason()}});
    return arr;
  };
  j["problems"] = errors(st.problems);
  j["nested"] = errors(st.nested);
  return j;
}

}  // namespace jointnlu::report
