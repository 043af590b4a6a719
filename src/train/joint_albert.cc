#include "train/joint_albert.h"

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "core/file_io.h"

namespace jointnlu::train {
namespace {

namespace fs = std::filesystem;

constexpr const char* kArchitecture = "AlbertForJointNLU";
constexpr const char* kSection = "jointnlu";
constexpr const char* kModelType = "albert-joint";

std::string vocab_text(const Tokenizer& tokenizer) {
  std::string out;
  for (const auto& token : tokenizer.vocab()) out += token + "\n";
  return out;
}

torch::nn::Linear head(int64_t in, int64_t out, double std) {
  torch::nn::Linear linear(in, out);
  torch::NoGradGuard no_grad;
  linear->weight.normal_(0.0, std);
  linear->bias.zero_();
  return linear;
}

}  // namespace

JointAlbertImpl::JointAlbertImpl(const AlbertConfig& config, const LabelSpace& labels) {
  albert = register_module("albert", AlbertModel(config));
  dropout = register_module("dropout", torch::nn::Dropout(config.classifier_dropout_prob));
  const double std = config.initializer_range;
  domain_classifier =
      register_module("domain_classifier", head(config.hidden_size, labels.domains().size(), std));
  intent_classifier =
      register_module("intent_classifier", head(config.hidden_size, labels.intents().size(), std));
  slot_classifier =
      register_module("slot_classifier", head(config.hidden_size, labels.tags().size(), std));
}

JointLogits JointAlbertImpl::forward(const torch::Tensor& input_ids,
                                     const torch::Tensor& attention_mask) {
  const AlbertOutput out = albert->forward(input_ids, attention_mask);
  const auto pooled = dropout->forward(out.pooled_output);
  return {domain_classifier->forward(pooled), intent_classifier->forward(pooled),
          slot_classifier->forward(dropout->forward(out.sequence_output))};
}

JointModel as_joint_model(JointAlbert model) {
  return {model.ptr(), [model](const Batch& b) mutable {
            return model->forward(b.input_ids, b.attention_mask);
          }};
}

nlohmann::json teacher_config_json(const TeacherSpec& spec) {
  nlohmann::json j = spec.albert.to_json();
  j["architectures"] = {kArchitecture};
  j[kSection] = {{"model", kModelType},
                 {"labels", spec.labels.to_json()},
                 {"max_length", spec.max_length},
                 {"tokenizer", {{"lower_case", spec.tokenizer.lower_case}}},
                 {"training", spec.training.is_null() ? nlohmann::json::object() : spec.training}};
  return j;
}

TeacherSpec parse_teacher_config(const nlohmann::json& config, const std::string& source) {
  try {
    const auto section = config.find(kSection);
    if (section == config.end() || !section->is_object())
      throw std::invalid_argument(
          "no \"jointnlu\" section: not a joint model (a plain ALBERT? use it with --init)");
    if (section->value("model", "") != kModelType)
      throw std::invalid_argument("model type " + section->value("model", nlohmann::json()).dump() +
                                  " is not '" + kModelType + "'");
    TeacherSpec spec;
    spec.albert = AlbertConfig::from_json(config);
    spec.labels = LabelSpace::from_json(section->at("labels"));
    const auto max_length = section->value("max_length", int64_t{0});
    if (max_length < 3 || max_length > spec.albert.max_position_embeddings)
      throw std::invalid_argument("max_length " + std::to_string(max_length) + " outside [3, " +
                                  std::to_string(spec.albert.max_position_embeddings) + "]");
    spec.max_length = static_cast<std::size_t>(max_length);
    if (const auto t = section->find("tokenizer"); t != section->end() && t->is_object())
      spec.tokenizer.lower_case = t->value("lower_case", true);
    spec.training = section->value("training", nlohmann::json::object());
    return spec;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(source + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(source + ": " + e.what());
  }
}

CheckpointContents teacher_checkpoint(const TeacherSpec& spec, const Tokenizer& tokenizer,
                                      StateDict tensors) {
  CheckpointContents c;
  c.files["config.json"] = teacher_config_json(spec).dump(2) + "\n";
  c.files["vocab.txt"] = vocab_text(tokenizer);
  // What transformers' AutoTokenizer reads to rebuild the same tokenizer from the directory.
  c.files["tokenizer_config.json"] = nlohmann::json{{"do_lower_case", spec.tokenizer.lower_case},
                                                    {"tokenizer_class", "BertTokenizer"}}
                                         .dump(2) +
                                     "\n";
  c.tensors = std::move(tensors);
  c.metadata["format"] = "pt";  // what transformers expects of a PyTorch safetensors file
  return c;
}

LoadedTeacher load_teacher(const std::string& dir) {
  if (!fs::is_directory(dir)) throw IoError(dir, "not a model directory");
  TeacherSpec spec =
      parse_teacher_config(read_config(dir), (fs::path(dir) / "config.json").string());
  Tokenizer tokenizer =
      Tokenizer::from_vocab_file((fs::path(dir) / "vocab.txt").string(), spec.tokenizer);
  if (static_cast<int64_t>(tokenizer.vocab_size()) != spec.albert.vocab_size)
    throw std::invalid_argument(dir + ": vocab.txt has " + std::to_string(tokenizer.vocab_size()) +
                                " tokens, config.json says vocab_size " +
                                std::to_string(spec.albert.vocab_size));
  JointAlbert model(spec.albert, spec.labels);
  const auto tensors = read_safetensors((fs::path(dir) / "model.safetensors").string());
  LoadOptions options;
  options.allow_dtype_conversion = true;
  load_state_dict(*model, tensors, options);
  model->eval();
  return {std::move(spec), std::move(tokenizer), std::move(model)};
}

PretrainedEncoder read_pretrained(const std::string& dir) {
  if (!fs::is_directory(dir)) throw IoError(dir, "not a checkpoint directory");
  const std::string config_path = (fs::path(dir) / "config.json").string();
  AlbertConfig config;
  try {
    config = AlbertConfig::from_json(read_config(dir));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(config_path + ": " + e.what());
  }
  // Lower-casing as HF's tokenizer_config.json says (do_lower_case); without one, uncased like HF's
  // Chinese ALBERT vocabularies and ours.
  TokenizerOptions tokenizer_options;
  const fs::path tokenizer_config = fs::path(dir) / "tokenizer_config.json";
  if (fs::exists(tokenizer_config)) {
    try {
      const auto j = nlohmann::json::parse(read_file(tokenizer_config.string()));
      if (j.contains("do_lower_case"))
        tokenizer_options.lower_case = j.at("do_lower_case").get<bool>();
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument(tokenizer_config.string() + ": " + e.what());
    }
  }
  Tokenizer tokenizer =
      Tokenizer::from_vocab_file((fs::path(dir) / "vocab.txt").string(), tokenizer_options);
  if (static_cast<int64_t>(tokenizer.vocab_size()) != config.vocab_size)
    throw std::invalid_argument(dir + ": vocab.txt has " + std::to_string(tokenizer.vocab_size()) +
                                " tokens, config.json says vocab_size " +
                                std::to_string(config.vocab_size));
  return {config, std::move(tokenizer),
          read_safetensors((fs::path(dir) / "model.safetensors").string()), dir};
}

LoadReport load_pretrained(JointAlbert& model, const PretrainedEncoder& pretrained) {
  LoadOptions options;
  options.allow_missing_prefixes = {"domain_classifier.", "intent_classifier.", "slot_classifier."};
  options.allow_dtype_conversion = true;
  try {
    return load_state_dict(*model, pretrained.tensors, options);
  } catch (const CheckpointError& e) {
    throw CheckpointError(pretrained.dir + "/model.safetensors: " + e.what());
  }
}

}  // namespace jointnlu::train
