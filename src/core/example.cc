#include "core/example.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace jointnlu {

SlotPairs canonical(SlotPairs pairs) {
  std::sort(pairs.begin(), pairs.end());
  return pairs;
}

std::string Example::value(const Span& span) const {
  const auto& off = decoded.offsets;
  return text.substr(off[span.begin], off[span.end] - off[span.begin]);
}

SlotPairs Example::slots() const {
  SlotPairs out;
  out.reserve(spans.size());
  for (const auto& s : spans) out.emplace_back(s.key, value(s));
  return out;
}

std::string to_json_line(const std::string& text, const std::string& domain,
                         const std::string& intent, const SlotPairs& slots) {
  nlohmann::ordered_json j;
  j["text"] = text;
  j["domain"] = domain;
  j["intent"] = intent;
  nlohmann::ordered_json s = nlohmann::ordered_json::object();
  for (const auto& [key, value] : slots) {
    auto it = s.find(key);
    if (it == s.end())
      s[key] = value;
    else if (it->is_array())
      it->push_back(value);
    else
      *it = nlohmann::ordered_json::array({it->get<std::string>(), value});
  }
  j["slots"] = std::move(s);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

}  // namespace jointnlu
