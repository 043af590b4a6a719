#include "core/joint_section.h"

#include <stdexcept>

#include "core/lexicon.h"

namespace jointnlu {

namespace {
constexpr const char* kSection = "jointnlu";
using nlohmann::json;
}  // namespace

json jointnlu_section(std::string_view model, const JointSection& s) {
  json j = {{"model", model},
            {"labels", s.labels.to_json()},
            {"max_length", s.max_length},
            {"tokenizer", {{"lower_case", s.tokenizer.lower_case}}},
            {"training", s.training.is_null() ? json::object() : s.training}};
  if (s.tokenizer.strip_accents) j["tokenizer"]["strip_accents"] = *s.tokenizer.strip_accents;
  if (!s.lexicon_categories.empty())
    j["lexicon"] = {{"categories", s.lexicon_categories},
                    {"features", "BMES"},
                    {"entries", std::string(kLexiconFile)}};
  return j;
}

JointSection parse_jointnlu_section(const json& config, std::string_view model,
                                    std::int64_t max_positions) {
  const auto section = config.find(kSection);
  if (section == config.end() || !section->is_object())
    throw std::invalid_argument(
        "no \"jointnlu\" section (labels, max_length, tokenizer): not a joint model (a plain "
        "ALBERT? use it as a teacher's init)");
  // Optional (hand-written configs may leave it out), but a section of another model is refused.
  if (const auto m = section->find("model"); m != section->end() && *m != model)
    throw std::invalid_argument("\"jointnlu.model\" is " + m->dump() + ", not \"" +
                                std::string(model) + "\"");
  JointSection s;
  const auto labels = section->find("labels");
  if (labels == section->end()) throw std::invalid_argument("missing \"jointnlu.labels\"");
  try {
    s.labels = LabelSpace::from_json(*labels);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("\"jointnlu.labels\": ") + e.what());
  }
  if (s.labels.domains().size() == 0 || s.labels.intents().size() == 0 || s.labels.pairs().empty())
    throw std::invalid_argument(
        "\"jointnlu.labels\" has no domains, intents or (domain, intent) pairs");
  const auto max_length = section->find("max_length");
  if (max_length == section->end() || !max_length->is_number_integer() ||
      max_length->get<std::int64_t>() < 3 || max_length->get<std::int64_t>() > max_positions)
    throw std::invalid_argument("\"jointnlu.max_length\" must be an integer in [3, " +
                                std::to_string(max_positions) + "], found " +
                                (max_length == section->end() ? "nothing" : max_length->dump()));
  s.max_length = max_length->get<std::size_t>();
  if (const auto t = section->find("tokenizer"); t != section->end() && t->is_object()) {
    if (const auto lc = t->find("lower_case"); lc != t->end() && lc->is_boolean())
      s.tokenizer.lower_case = lc->get<bool>();
    if (const auto sa = t->find("strip_accents"); sa != t->end() && sa->is_boolean())
      s.tokenizer.strip_accents = sa->get<bool>();
  }
  s.training = section->value("training", json::object());
  if (const auto lex = section->find("lexicon"); lex != section->end()) {
    if (!lex->is_object() || !lex->contains("categories") || !lex->at("categories").is_array())
      throw std::invalid_argument(
          "\"jointnlu.lexicon\" must be an object with a \"categories\" array");
    if (lex->value("features", std::string("BMES")) != "BMES")
      throw std::invalid_argument("\"jointnlu.lexicon.features\" must be \"BMES\"");
    for (const auto& name : lex->at("categories")) {
      if (!name.is_string())
        throw std::invalid_argument("\"jointnlu.lexicon.categories\" must hold strings");
      s.lexicon_categories.push_back(name.get<std::string>());
    }
    try {
      (void)Lexicon(s.lexicon_categories);  // unique, non-empty, at most kMaxLexiconCategories
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("\"jointnlu.lexicon.categories\": ") + e.what());
    }
  }
  return s;
}

}  // namespace jointnlu
