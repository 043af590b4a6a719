#include "train/joint_albert.h"

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "core/file_io.h"
#include "core/model_directory.h"
#include "train/encoder_families.h"
#include "train/model_section.h"

namespace jointnlu::train {
namespace {

namespace fs = std::filesystem;

constexpr const char* kArchitecture = "AlbertForJointNLU";
constexpr const char* kSection = "jointnlu";
constexpr const char* kModelType = "albert-joint";

torch::nn::Linear head(int64_t in, int64_t out, double std) {
  torch::nn::Linear linear(in, out);
  torch::NoGradGuard no_grad;
  linear->weight.normal_(0.0, std);
  linear->bias.zero_();
  return linear;
}

}  // namespace

ClassifierPooling parse_classifier_pooling(const std::string& name) {
  if (name == "cls") return ClassifierPooling::kCls;
  if (name == "mean") return ClassifierPooling::kMean;
  throw std::invalid_argument("classifier pooling '" + name + "': expected cls or mean");
}

const char* classifier_pooling_name(ClassifierPooling pooling) {
  return pooling == ClassifierPooling::kMean ? "mean" : "cls";
}

JointAlbertImpl::JointAlbertImpl(const AlbertConfig& config, const LabelSpace& labels,
                                 ClassifierPooling pooling, int64_t lexicon_features)
    : pooling_(pooling), lexicon_features_(lexicon_features) {
  albert = register_module("albert", AlbertModel(config));
  dropout = register_module("dropout", torch::nn::Dropout(config.classifier_dropout_prob));
  const double std = config.initializer_range;
  domain_classifier =
      register_module("domain_classifier", head(config.hidden_size, labels.domains().size(), std));
  intent_classifier =
      register_module("intent_classifier", head(config.hidden_size, labels.intents().size(), std));
  slot_classifier =
      register_module("slot_classifier", head(config.hidden_size, labels.tags().size(), std));
  if (lexicon_features > 0) {
    lexicon_projection = register_module(
        "lexicon_projection",
        torch::nn::Linear(
            torch::nn::LinearOptions(lexicon_features, config.embedding_size).bias(false)));
    torch::NoGradGuard no_grad;
    lexicon_projection->weight.zero_();
  }
}

JointLogits JointAlbertImpl::forward(const torch::Tensor& input_ids,
                                     const torch::Tensor& attention_mask,
                                     const torch::Tensor& lexicon) {
  torch::Tensor extra;
  if (lexicon_features_ > 0) {
    if (!lexicon.defined() || lexicon.dim() != 3 || lexicon.size(0) != input_ids.size(0) ||
        lexicon.size(1) != input_ids.size(1) || lexicon.size(2) != lexicon_features_)
      throw std::invalid_argument("teacher: the model reads " + std::to_string(lexicon_features_) +
                                  " lexicon features per position; the batch has " +
                                  (lexicon.defined() ? shape_string(lexicon.sizes()) : "none"));
    extra = lexicon_projection->forward(lexicon.to(lexicon_projection->weight.dtype()));
  }
  const AlbertOutput out = albert->forward(input_ids, attention_mask, {}, {}, extra);
  torch::Tensor sentence = out.pooled_output;
  if (pooling_ == ClassifierPooling::kMean) {
    if (attention_mask.defined()) {
      const auto mask = attention_mask.unsqueeze(-1).to(out.sequence_output.scalar_type());
      sentence = (out.sequence_output * mask).sum(1) / mask.sum(1).clamp_min(1.0);
    } else {
      sentence = out.sequence_output.mean(1);  // no padding
    }
  }
  const auto pooled = dropout->forward(sentence);
  return {domain_classifier->forward(pooled), intent_classifier->forward(pooled),
          slot_classifier->forward(dropout->forward(out.sequence_output))};
}

JointModel as_joint_model(JointAlbert model) {
  return {model.ptr(), [model](const Batch& b) mutable {
            return model->forward(b.input_ids, b.attention_mask, b.lexicon);
          }};
}

nlohmann::json teacher_config_json(const TeacherSpec& spec) {
  nlohmann::json j = spec.albert.to_json();
  j["architectures"] = {kArchitecture};
  // Top level, beside HF's keys (which HF ignores when it does not know them).
  j["classifier_pooling"] = classifier_pooling_name(spec.pooling);
  j[kSection] = jointnlu_section(kModelType, spec);
  return j;
}

TeacherSpec parse_teacher_config(const nlohmann::json& config, const std::string& source) {
  try {
    // The section first: a config of another kind of model should be named as such, not fail on
    // a missing ALBERT key.
    TeacherSpec spec;
    static_cast<JointSection&>(spec) = parse_jointnlu_section(config, kModelType, 4096);
    spec.albert = AlbertConfig::from_json(config);
    if (config.contains("classifier_pooling"))
      spec.pooling = parse_classifier_pooling(config.at("classifier_pooling").get<std::string>());
    if (static_cast<int64_t>(spec.max_length) > spec.albert.max_position_embeddings)
      throw std::invalid_argument("max_length " + std::to_string(spec.max_length) +
                                  " outside [3, " +
                                  std::to_string(spec.albert.max_position_embeddings) + "]");
    return spec;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(source + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(source + ": " + e.what());
  }
}

CheckpointContents teacher_checkpoint(const TeacherSpec& spec, const Tokenizer& tokenizer,
                                      StateDict tensors, const Lexicon* lexicon) {
  return joint_checkpoint(teacher_config_json(spec), tokenizer, std::move(tensors), lexicon);
}

LoadedTeacher load_teacher(const std::string& dir) {
  LoadOptions options;
  options.allow_dtype_conversion = true;
  return load_joint_model<TeacherSpec, JointAlbert>(
      dir, parse_teacher_config,
      [](const TeacherSpec& s) { return static_cast<std::size_t>(s.albert.vocab_size); },
      [](const TeacherSpec& s) {
        return JointAlbert(s.albert, s.labels, s.pooling,
                           static_cast<int64_t>(s.lexicon_features()));
      },
      options);
}

PretrainedEncoder read_pretrained(const std::string& dir) {
  const ModelDirectory d(dir, "checkpoint directory");
  AlbertConfig config;
  EncoderFamily family = EncoderFamily::kAlbert;
  try {
    family = encoder_family(d.config());
    config = albert_config_of(d.config(), family);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(d.config_path() + ": " + e.what());
  }
  Tokenizer tokenizer =
      d.tokenizer(d.hf_tokenizer_options(), static_cast<std::size_t>(config.vocab_size));
  PretrainedEncoder out{
      config, std::move(tokenizer), read_safetensors(d.weights_path()), dir, family, {}, true, {}};
  if (family != EncoderFamily::kAlbert) {
    ConvertedEncoder converted = albert_tensors_of(out.tensors, family, config);
    out.tensors = std::move(converted.tensors);
    out.skipped = std::move(converted.skipped);
    out.has_pooler = converted.has_pooler;
    out.source = std::move(converted.source);
  }
  return out;
}

LoadReport load_pretrained(JointAlbert& model, const PretrainedEncoder& pretrained) {
  LoadOptions options;
  // The heads and the lexicon projection are new: the encoder checkpoint has none of them.
  options.allow_missing_prefixes = {"domain_classifier.", "intent_classifier.", "slot_classifier.",
                                    "lexicon_projection."};
  // ELECTRA has no pooler: the teacher's starts fresh like the heads.
  if (!pretrained.has_pooler) options.allow_missing_prefixes.push_back("albert.pooler.");
  options.allow_dtype_conversion = true;
  try {
    LoadReport report = load_state_dict(*model, pretrained.tensors, options);
    report.unexpected.insert(report.unexpected.end(), pretrained.skipped.begin(),
                             pretrained.skipped.end());
    return report;
  } catch (const CheckpointError& e) {
    // A renamed tensor is named as the checkpoint spells it, beside the ALBERT name it fills.
    std::string message = e.what();
    if (const auto it = pretrained.source.find(e.tensor()); it != pretrained.source.end())
      message = it->second + " (as " + message + ")";
    throw CheckpointError(pretrained.dir + "/model.safetensors: " + message);
  }
}

}  // namespace jointnlu::train
