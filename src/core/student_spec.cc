#include "core/student_spec.h"

#include <stdexcept>

#include "core/error.h"
#include "core/model_limits.h"

namespace jointnlu {
namespace {

using nlohmann::json;

constexpr const char* kArchitecture = "JointBiLSTM";

// A positive integer no larger than `limit` (core/model_limits.h).
std::size_t positive(const json& j, const char* field, std::int64_t limit) {
  const auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer() || it->get<std::int64_t>() <= 0)
    throw std::invalid_argument(std::string("\"") + field + "\" must be a positive integer");
  const auto v = it->get<std::int64_t>();
  if (v > limit)
    throw std::invalid_argument(over_limit(std::string("\"") + field + "\"", v, limit));
  return static_cast<std::size_t>(v);
}

StudentSpec parse_architecture(const json& j) {
  if (!is_student_config(j))
    throw std::invalid_argument(
        "\"model_type\" must be \"" + std::string(kStudentModelType) +
        "\" (the BiLSTM student), found " +
        (j.is_object() && j.contains("model_type") ? j["model_type"].dump() : "nothing"));
  StudentSpec s;
  s.vocab_size = positive(j, "vocab_size", kMaxModelVocab);
  s.embedding_size = positive(j, "embedding_size", kMaxModelWidth);
  s.hidden_size = positive(j, "hidden_size", kMaxModelWidth);
  s.num_layers = positive(j, "num_layers", kMaxModelLayers);
  s.pooling = parse_pooling(j.value("pooling", std::string("max")));
  // Written for max pooling too (unread there).
  if (s.pooling == Pooling::kAttention || j.contains("attention_size"))
    s.attention_size = positive(j, "attention_size", kMaxModelWidth);
  s.dropout = j.value("dropout", 0.0);
  if (!(s.dropout >= 0.0 && s.dropout < 1.0))
    throw std::invalid_argument("\"dropout\" must be in [0, 1)");
  s.pad_token_id = j.value("pad_token_id", std::int64_t{0});
  if (s.pad_token_id < 0 || static_cast<std::size_t>(s.pad_token_id) >= s.vocab_size)
    throw std::invalid_argument("\"pad_token_id\" " + std::to_string(s.pad_token_id) +
                                " is outside the vocabulary");
  return s;
}

}  // namespace

Pooling parse_pooling(std::string_view name) {
  if (name == "max") return Pooling::kMax;
  if (name == "attention") return Pooling::kAttention;
  throw std::invalid_argument("\"pooling\" must be \"max\" or \"attention\", found \"" +
                              std::string(name) + "\"");
}

const char* pooling_name(Pooling pooling) { return pooling == Pooling::kMax ? "max" : "attention"; }

json student_config_json(const StudentSpec& s) {
  json j = {{"model_type", kStudentModelType},    {"architectures", {kArchitecture}},
            {"vocab_size", s.vocab_size},         {"embedding_size", s.embedding_size},
            {"hidden_size", s.hidden_size},       {"num_layers", s.num_layers},
            {"pooling", pooling_name(s.pooling)}, {"dropout", s.dropout},
            {"pad_token_id", s.pad_token_id},     {"lexicon_features", s.lexicon_features()}};
  if (s.attention_size > 0) j["attention_size"] = s.attention_size;
  j["jointnlu"] = jointnlu_section(kStudentModelType, s);
  return j;
}

bool is_student_config(const json& config) {
  return config.is_object() && config.contains("model_type") &&
         config["model_type"] == kStudentModelType;
}

StudentSpec parse_student_config(const json& config, const std::string& source) {
  try {
    StudentSpec s = parse_architecture(config);
    static_cast<JointSection&>(s) =
        parse_jointnlu_section(config, kStudentModelType, kMaxModelPositions);
    const auto declared = config.value("lexicon_features", std::int64_t{0});
    if (declared < 0 || static_cast<std::size_t>(declared) != s.lexicon_features())
      throw std::invalid_argument("\"lexicon_features\" is " + std::to_string(declared) + " but " +
                                  std::to_string(s.lexicon_categories.size()) +
                                  " lexicon categories need 4 features each");
    return s;
  } catch (const json::exception& e) {
    throw ModelError(source + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw ModelError(source + ": " + e.what());
  }
}

json parse_config_text(std::string_view text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw ModelError(source + ": malformed JSON: " + e.what());
  }
  if (!j.is_object()) throw ModelError(source + ": the config must be a JSON object");
  return j;
}

std::vector<TensorSpec> student_tensors(const StudentSpec& s) {
  const auto i64 = [](std::size_t n) { return static_cast<std::int64_t>(n); };
  const std::int64_t h = i64(s.hidden_size);
  std::vector<TensorSpec> out;
  out.push_back(
      {"embeddings.word_embeddings.weight", {i64(s.vocab_size), i64(s.embedding_size)}, true});
  for (std::size_t k = 0; k < s.num_layers; ++k) {
    const std::int64_t in = k == 0 ? i64(s.embedding_size + s.lexicon_features()) : 2 * h;
    for (const char* suffix : {"", "_reverse"}) {
      const std::string layer = std::to_string(k) + suffix;
      out.push_back({"lstm.weight_ih_l" + layer, {4 * h, in}, true});
      out.push_back({"lstm.weight_hh_l" + layer, {4 * h, h}, true});
      out.push_back({"lstm.bias_ih_l" + layer, {4 * h}, false});
      out.push_back({"lstm.bias_hh_l" + layer, {4 * h}, false});
    }
  }
  if (s.pooling == Pooling::kAttention) {
    const std::int64_t a = i64(s.attention_size);
    out.push_back({"attention.proj.weight", {a, 2 * h}, true});
    out.push_back({"attention.proj.bias", {a}, false});
    // A single row: nothing to gain from quantising it.
    out.push_back({"attention.context.weight", {1, a}, false});
  }
  const std::pair<const char*, std::size_t> heads[] = {
      {"domain_classifier", static_cast<std::size_t>(s.labels.domains().size())},
      {"intent_classifier", static_cast<std::size_t>(s.labels.intents().size())},
      {"slot_classifier", static_cast<std::size_t>(s.labels.tags().size())}};
  for (const auto& [name, n] : heads) {
    out.push_back({std::string(name) + ".weight", {i64(n), 2 * h}, true});
    out.push_back({std::string(name) + ".bias", {i64(n)}, false});
  }
  return out;
}

}  // namespace jointnlu
