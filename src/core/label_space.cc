#include "core/label_space.h"

#include <algorithm>
#include <stdexcept>

namespace jointnlu {
namespace {

std::vector<std::string> string_list(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array())
    throw std::invalid_argument(std::string("label space: '") + key +
                                "' must be an array of strings");
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string())
      throw std::invalid_argument(std::string("label space: '") + key +
                                  "' holds a non-string: " + v.dump());
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

LabelSpace::LabelSpace(std::vector<std::string> domains, std::vector<std::string> intents,
                       std::vector<std::string> slot_keys,
                       const std::vector<std::pair<std::string, std::string>>& pairs)
    : domains_(std::move(domains)), intents_(std::move(intents)), slot_keys_(std::move(slot_keys)) {
  std::vector<std::string> tags = {"O"};
  for (const auto& key : slot_keys_) {
    if (key.empty()) throw std::invalid_argument("label space: empty slot key");
    tags.push_back("B-" + key);
    tags.push_back("I-" + key);
  }
  tags_ = LabelVocab(std::move(tags));  // throws on duplicate keys
  for (const auto& [domain, intent] : pairs) {
    const int d = domains_.id(domain);
    const int i = intents_.id(intent);
    if (d == LabelVocab::kUnknown || i == LabelVocab::kUnknown)
      throw std::invalid_argument("label space: pair (" + domain + ", " + intent +
                                  ") names an unknown domain or intent");
    pair_set_.insert({d, i});
  }
  pairs_.assign(pair_set_.begin(), pair_set_.end());
}

LabelSpace LabelSpace::from_examples(const std::vector<Example>& examples) {
  std::set<std::string> domains, intents, keys;
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& e : examples) {
    domains.insert(e.domain);
    intents.insert(e.intent);
    pairs.insert({e.domain, e.intent});
    for (const auto& span : e.spans) keys.insert(span.key);
  }
  return LabelSpace({domains.begin(), domains.end()}, {intents.begin(), intents.end()},
                    {keys.begin(), keys.end()}, {pairs.begin(), pairs.end()});
}

nlohmann::json LabelSpace::to_json() const {
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& [d, i] : pairs_) pairs.push_back({domains_.name(d), intents_.name(i)});
  return {{"domains", domains_.labels()}, {"intents", intents_.labels()},
          {"slot_keys", slot_keys_},      {"tag_scheme", "BIO"},
          {"tags", tags_.labels()},       {"pairs", std::move(pairs)}};
}

LabelSpace LabelSpace::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("label space: expected a JSON object");
  if (j.contains("tag_scheme") && j["tag_scheme"] != "BIO")
    throw std::invalid_argument("label space: tag_scheme " + j["tag_scheme"].dump() +
                                " is not supported (only \"BIO\")");
  std::vector<std::pair<std::string, std::string>> pairs;
  const auto it = j.find("pairs");
  if (it == j.end() || !it->is_array())
    throw std::invalid_argument("label space: 'pairs' must be an array of [domain, intent]");
  for (const auto& p : *it) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string())
      throw std::invalid_argument("label space: bad pair " + p.dump() +
                                  " (expected [domain, intent])");
    pairs.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
  }
  return LabelSpace(string_list(j, "domains"), string_list(j, "intents"),
                    string_list(j, "slot_keys"), pairs);
}

}  // namespace jointnlu
