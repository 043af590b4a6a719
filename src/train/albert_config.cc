#include "train/albert_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <tuple>

#include "core/model_limits.h"

namespace jointnlu::train {
namespace {

// The architecture's sizes, named once: config.json reads and writes them, validate() requires
// each positive and within its bound (core/model_limits.h, checked before anything builds a layer
// list or a tensor from them). `required`: the key must be in a config.json.
struct SizeField {
  const char* name;
  int64_t AlbertConfig::*member;
  int64_t limit;
  bool required;
};
constexpr SizeField kSizeFields[] = {
    {"vocab_size", &AlbertConfig::vocab_size, kMaxModelVocab, true},
    {"embedding_size", &AlbertConfig::embedding_size, kMaxModelWidth, false},
    {"hidden_size", &AlbertConfig::hidden_size, kMaxModelWidth, true},
    {"num_hidden_layers", &AlbertConfig::num_hidden_layers, kMaxModelLayers, true},
    {"num_hidden_groups", &AlbertConfig::num_hidden_groups, kMaxModelLayers, false},
    {"num_attention_heads", &AlbertConfig::num_attention_heads, kMaxModelHeads, true},
    {"intermediate_size", &AlbertConfig::intermediate_size, kMaxModelWidth, true},
    {"inner_group_num", &AlbertConfig::inner_group_num, kMaxModelLayers, false},
    {"max_position_embeddings", &AlbertConfig::max_position_embeddings, kMaxModelPositions, false},
    {"type_vocab_size", &AlbertConfig::type_vocab_size, kMaxModelTokenTypes, false},
};

constexpr double kPresetDropout = 0.1;

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument("albert config: " + message);
}

// Reads j[key] into out if present (or fails when required). Integers must be JSON integers: a
// config with "hidden_size": 312.5 is a broken file, not something to round.
void read_int(const nlohmann::json& j, const char* key, bool required, int64_t& out) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) fail(std::string("missing required key '") + key + "'");
    return;
  }
  if (!it->is_number_integer()) {
    fail(std::string("'") + key + "' must be an integer, got " + it->dump());
  }
  out = it->get<int64_t>();
}

void read_double(const nlohmann::json& j, const char* key, double& out) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if (!it->is_number()) fail(std::string("'") + key + "' must be a number, got " + it->dump());
  out = it->get<double>();
}

void read_string(const nlohmann::json& j, const char* key, std::string& out) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if (!it->is_string()) fail(std::string("'") + key + "' must be a string, got " + it->dump());
  out = it->get<std::string>();
}

AlbertConfig preset(int64_t vocab_size, int64_t hidden, int64_t layers, int64_t heads,
                    int64_t intermediate) {
  AlbertConfig c;
  c.vocab_size = vocab_size;
  c.embedding_size = 128;
  c.hidden_size = hidden;
  c.num_hidden_layers = layers;
  c.num_hidden_groups = 1;
  c.num_attention_heads = heads;
  c.intermediate_size = intermediate;
  c.inner_group_num = 1;
  c.hidden_dropout_prob = kPresetDropout;
  c.attention_probs_dropout_prob = kPresetDropout;
  c.validate();
  return c;
}

}  // namespace

const std::vector<std::string>& AlbertConfig::supported_activations() {
  static const std::vector<std::string> kNames = {"gelu_new", "gelu", "relu", "gelu_pytorch_tanh"};
  return kNames;
}

AlbertConfig AlbertConfig::tiny(int64_t vocab_size) { return preset(vocab_size, 312, 4, 12, 1248); }

AlbertConfig AlbertConfig::small(int64_t vocab_size) {
  return preset(vocab_size, 384, 6, 12, 1536);
}

AlbertConfig AlbertConfig::base(int64_t vocab_size) {
  return preset(vocab_size, 768, 12, 12, 3072);
}

const std::vector<std::string>& AlbertConfig::preset_names() {
  static const std::vector<std::string> kNames = {
      "tiny",          "small",     "base",       "tiny-unshared", "small-unshared",
      "base-unshared", "bert-tiny", "bert-small", "bert-base"};
  return kNames;
}

AlbertConfig AlbertConfig::from_preset(const std::string& name, int64_t vocab_size) {
  constexpr std::string_view kUnshared = "-unshared";
  const bool bert = is_bert_preset(name);
  const bool unshared = bert || (name.size() > kUnshared.size() && name.ends_with(kUnshared));
  const std::string base_name = bert       ? name.substr(5)
                                : unshared ? name.substr(0, name.size() - kUnshared.size())
                                           : name;
  AlbertConfig c;
  if (base_name == "tiny")
    c = tiny(vocab_size);
  else if (base_name == "small")
    c = small(vocab_size);
  else if (base_name == "base")
    c = base(vocab_size);
  else {
    std::string names;
    for (const auto& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown model size preset '" + name + "' (" + names + ")");
  }
  if (unshared) c.num_hidden_groups = c.num_hidden_layers;
  if (bert) c.embedding_size = c.hidden_size;
  c.validate();
  return c;
}

AlbertConfig AlbertConfig::from_preset_or_file(const std::string& name, int64_t vocab_size) {
  if (!name.ends_with(".json")) return from_preset(name, vocab_size);
  std::ifstream in(name);
  if (!in) throw std::invalid_argument("model config " + name + ": cannot open the file");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument("model config " + name + ": not valid JSON: " + e.what());
  }
  if (!j.is_object())
    throw std::invalid_argument("model config " + name + ": expected a JSON object");
  // The vocabulary belongs to the tokenizer, not to the shape: a value in the file would only
  // ever disagree with it.
  j["vocab_size"] = vocab_size;
  try {
    auto c = from_json(j);
    c.validate();
    return c;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("model config " + name + ": " + e.what());
  }
}

AlbertConfig AlbertConfig::from_json(const nlohmann::json& j) {
  if (!j.is_object()) fail("expected a JSON object, got " + std::string(j.type_name()));
  AlbertConfig c;
  for (const auto& f : kSizeFields) read_int(j, f.name, f.required, c.*f.member);
  read_string(j, "hidden_act", c.hidden_act);
  read_double(j, "hidden_dropout_prob", c.hidden_dropout_prob);
  read_double(j, "attention_probs_dropout_prob", c.attention_probs_dropout_prob);
  read_double(j, "classifier_dropout_prob", c.classifier_dropout_prob);
  read_double(j, "layer_norm_eps", c.layer_norm_eps);
  read_double(j, "initializer_range", c.initializer_range);
  read_int(j, "pad_token_id", false, c.pad_token_id);

  // Hugging Face ALBERT also knows relative position embeddings; we only implement absolute ones,
  // and silently ignoring the key would give a model that computes something else.
  std::string position_type = "absolute";
  read_string(j, "position_embedding_type", position_type);
  if (position_type != "absolute") {
    fail("position_embedding_type '" + position_type + "' is not supported (only 'absolute')");
  }
  const auto model_type = j.find("model_type");
  if (model_type != j.end() && model_type->is_string() && *model_type != "albert") {
    fail("model_type is '" + model_type->get<std::string>() + "', expected 'albert'");
  }
  c.validate();
  return c;
}

nlohmann::json AlbertConfig::to_json() const {
  nlohmann::json j{
      {"model_type", "albert"},
      {"hidden_act", hidden_act},
      {"hidden_dropout_prob", hidden_dropout_prob},
      {"attention_probs_dropout_prob", attention_probs_dropout_prob},
      {"classifier_dropout_prob", classifier_dropout_prob},
      {"layer_norm_eps", layer_norm_eps},
      {"initializer_range", initializer_range},
      {"pad_token_id", pad_token_id},
      {"position_embedding_type", "absolute"},
  };
  for (const auto& f : kSizeFields) j[f.name] = this->*f.member;
  return j;
}

void AlbertConfig::validate() const {
  for (const auto& f : kSizeFields) {
    const int64_t value = this->*f.member;
    if (value <= 0) fail(std::string(f.name) + " must be positive, got " + std::to_string(value));
  }
  for (const auto& f : kSizeFields)
    if (this->*f.member > f.limit) fail(over_limit(f.name, this->*f.member, f.limit));
  if (hidden_size % num_attention_heads != 0) {
    fail("hidden_size (" + std::to_string(hidden_size) +
         ") must be divisible by num_attention_heads (" + std::to_string(num_attention_heads) +
         ")");
  }
  if (num_hidden_layers % num_hidden_groups != 0) {
    fail("num_hidden_layers (" + std::to_string(num_hidden_layers) +
         ") must be divisible by num_hidden_groups (" + std::to_string(num_hidden_groups) + ")");
  }
  const auto& acts = supported_activations();
  if (std::find(acts.begin(), acts.end(), hidden_act) == acts.end()) {
    std::string names;
    for (const auto& a : acts) names += (names.empty() ? "" : ", ") + a;
    fail("hidden_act '" + hidden_act + "' is not supported (supported: " + names + ")");
  }
  const std::pair<const char*, double> probabilities[] = {
      {"hidden_dropout_prob", hidden_dropout_prob},
      {"attention_probs_dropout_prob", attention_probs_dropout_prob},
      {"classifier_dropout_prob", classifier_dropout_prob},
  };
  for (const auto& [name, p] : probabilities) {
    if (!(p >= 0.0 && p < 1.0))
      fail(std::string(name) + " must be in [0, 1), got " + std::to_string(p));
  }
  if (!(layer_norm_eps > 0.0)) fail("layer_norm_eps must be positive");
  if (!(initializer_range > 0.0)) fail("initializer_range must be positive");
  if (pad_token_id < 0 || pad_token_id >= vocab_size) {
    fail("pad_token_id (" + std::to_string(pad_token_id) +
         ") must be in [0, vocab_size=" + std::to_string(vocab_size) + ")");
  }
}

}  // namespace jointnlu::train
