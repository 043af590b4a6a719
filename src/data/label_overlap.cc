#include "data/label_overlap.h"

#include <cstdio>
#include <set>

namespace jointnlu {
namespace {

std::string percent(std::size_t part, std::size_t whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%",
                100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buf;
}

}  // namespace

std::vector<std::string> label_overlap_warnings(const std::vector<Example>& train,
                                                const std::vector<Record>& eval,
                                                const std::string& eval_name) {
  std::vector<std::string> out;
  if (train.empty() || eval.empty()) return out;
  std::set<std::string> domains, intents, keys;
  for (const Example& e : train) {
    domains.insert(e.domain);
    intents.insert(e.intent);
    for (const auto& [key, value] : e.slots()) keys.insert(key);
    for (const auto& [key, value] : e.nested) keys.insert(key);
  }
  std::size_t domain_unseen = 0, intent_unseen = 0, key_unseen = 0;
  for (const Record& r : eval) {
    domain_unseen += domains.count(r.domain) == 0;
    intent_unseen += intents.count(r.intent) == 0;
    bool unseen = false;
    for (const auto& [key, value] : r.slots) unseen = unseen || keys.count(key) == 0;
    key_unseen += unseen;
  }
  const std::size_t n = eval.size();
  const auto report = [&](std::size_t unseen, const char* what) {
    if (unseen == n)
      out.push_back(eval_name + ": no " + what + " in common with the training data: every " +
                    what + " will score 0 (are these files from the same task?)");
    else if (unseen * 10 >= n)
      out.push_back(eval_name + ": " + std::to_string(unseen) + " of " + std::to_string(n) +
                    " records (" + percent(unseen, n) + ") have a " + what +
                    " the training data never has");
  };
  report(domain_unseen, "domain");
  report(intent_unseen, "intent");
  if (key_unseen * 10 >= n)
    out.push_back(eval_name + ": " + std::to_string(key_unseen) + " of " + std::to_string(n) +
                  " records (" + percent(key_unseen, n) +
                  ") have a slot key the training data never has");
  return out;
}

}  // namespace jointnlu
