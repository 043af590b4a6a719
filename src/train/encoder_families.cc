#include "train/encoder_families.h"

#include <array>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace jointnlu::train {
namespace {

// HF's per-layer names (after "encoder.layer.N.") and ALBERT's (after "albert_layers.0.").
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kLayerNames{{
    {"attention.self.query.", "attention.query."},
    {"attention.self.key.", "attention.key."},
    {"attention.self.value.", "attention.value."},
    {"attention.output.dense.", "attention.dense."},
    {"attention.output.LayerNorm.", "attention.LayerNorm."},
    {"intermediate.dense.", "ffn."},
    {"output.dense.", "ffn_output."},
    {"output.LayerNorm.", "full_layer_layer_norm."},
}};

// TensorFlow-converted checkpoints name LayerNorm's parameters gamma and beta.
std::string modern_layer_norm_name(std::string name) {
  for (const auto& [old_suffix, suffix] :
       {std::pair{std::string_view(".gamma"), std::string_view(".weight")},
        std::pair{std::string_view(".beta"), std::string_view(".bias")}}) {
    if (name.ends_with(old_suffix) && name.find("LayerNorm") != std::string::npos)
      return name.substr(0, name.size() - old_suffix.size()) + std::string(suffix);
  }
  return name;
}

// "encoder.layer.N.<rest>" -> ALBERT's name, or "" when <rest> is not an encoder tensor.
std::string layer_tensor(std::string_view name) {
  constexpr std::string_view kLayer = "encoder.layer.";
  const std::string_view tail = name.substr(kLayer.size());
  const std::size_t dot = tail.find('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  const std::string_view index = tail.substr(0, dot);
  if (index.find_first_not_of("0123456789") != std::string_view::npos) return "";
  const std::string_view rest = tail.substr(dot + 1);
  for (const auto& [hf, albert] : kLayerNames) {
    if (rest.starts_with(hf)) {
      return "albert.encoder.albert_layer_groups." + std::string(index) + ".albert_layers.0." +
             std::string(albert) + std::string(rest.substr(hf.size()));
    }
  }
  return "";
}

// The ALBERT name of one checkpoint name (model prefix already removed), or "" to skip it.
std::string albert_name(const std::string& name, EncoderFamily family) {
  if (name == "embeddings.position_ids") return "";  // a buffer HF recomputes
  if (name.starts_with("embeddings.")) return "albert." + name;
  if (family == EncoderFamily::kElectra && name.starts_with("embeddings_project."))
    return "albert.encoder.embedding_hidden_mapping_in." +
           name.substr(std::string_view("embeddings_project.").size());
  if (name.starts_with("encoder.layer.")) return layer_tensor(name);
  if (family == EncoderFamily::kBert && name.starts_with("pooler.dense."))
    return "albert.pooler." + name.substr(std::string_view("pooler.dense.").size());
  return "";
}

}  // namespace

EncoderFamily encoder_family(const nlohmann::json& config) {
  const auto it = config.find("model_type");
  if (it == config.end() || !it->is_string() || *it == "albert") return EncoderFamily::kAlbert;
  if (*it == "bert") return EncoderFamily::kBert;
  if (*it == "electra") return EncoderFamily::kElectra;
  throw std::invalid_argument("model_type is '" + it->get<std::string>() +
                              "'; supported encoders: 'albert', 'bert' (BERT, RoBERTa-wwm, "
                              "MacBERT checkpoints in BERT's layout), 'electra'");
}

const char* family_name(EncoderFamily family) {
  switch (family) {
    case EncoderFamily::kAlbert:
      return "albert";
    case EncoderFamily::kBert:
      return "bert";
    case EncoderFamily::kElectra:
      return "electra";
  }
  return "?";
}

AlbertConfig albert_config_of(const nlohmann::json& config, EncoderFamily family) {
  if (family == EncoderFamily::kAlbert) return AlbertConfig::from_json(config);
  if (!config.is_object()) throw std::invalid_argument("expected a JSON object");
  nlohmann::json j = config;
  j["model_type"] = "albert";
  if ((family == EncoderFamily::kBert || !j.contains("embedding_size")) &&
      j.contains("hidden_size"))
    j["embedding_size"] = j["hidden_size"];
  if (j.contains("num_hidden_layers")) j["num_hidden_groups"] = j["num_hidden_layers"];
  j["inner_group_num"] = 1;
  // Hugging Face's BertConfig / ElectraConfig defaults where they differ from AlbertConfig's.
  for (const auto& [key, value] : {std::pair<const char*, nlohmann::json>{"hidden_act", "gelu"},
                                   {"hidden_dropout_prob", 0.1},
                                   {"attention_probs_dropout_prob", 0.1}})
    if (!j.contains(key)) j[key] = value;
  return AlbertConfig::from_json(j);
}

ConvertedEncoder albert_tensors_of(const StateDict& tensors, EncoderFamily family,
                                   const AlbertConfig& config) {
  ConvertedEncoder out;
  const std::string model_prefix = std::string(family_name(family)) + ".";
  for (const auto& [original, tensor] : tensors) {
    std::string name = modern_layer_norm_name(original);
    if (name.starts_with(model_prefix)) name = name.substr(model_prefix.size());
    const std::string target = albert_name(name, family);
    if (target.empty()) {
      out.skipped.push_back(original);
      continue;
    }
    if (!out.tensors.emplace(target, tensor).second)
      throw CheckpointError(original + ": a second tensor for " + target +
                            " (the checkpoint holds the encoder with and without its '" +
                            model_prefix + "' prefix)");
    out.source[target] = original;
    out.has_pooler = out.has_pooler || target.starts_with("albert.pooler.");
  }
  const std::string mapping = "albert.encoder.embedding_hidden_mapping_in.";
  const auto word = out.tensors.find("albert.embeddings.word_embeddings.weight");
  if (!out.tensors.contains(mapping + "weight") && word != out.tensors.end() &&
      config.embedding_size == config.hidden_size) {
    const auto options = torch::TensorOptions().dtype(word->second.dtype());
    out.tensors[mapping + "weight"] = torch::eye(config.hidden_size, options);
    out.tensors[mapping + "bias"] = torch::zeros({config.hidden_size}, options);
  }
  return out;
}

}  // namespace jointnlu::train
