#include "train/bilstm.h"

#include <filesystem>
#include <stdexcept>

#include "core/file_io.h"
#include "core/model_limits.h"
#include "train/model_section.h"

namespace jointnlu::train {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModelType = "jointnlu-bilstm";
constexpr const char* kArchitecture = "JointBiLSTM";
constexpr const char* kSection = "jointnlu";

// A positive integer no larger than `limit` (core/model_limits.h).
int64_t positive(const nlohmann::json& j, const char* key, int64_t limit) {
  if (!j.contains(key) || !j.at(key).is_number_integer())
    throw std::invalid_argument(std::string("\"") + key + "\" missing or not an integer");
  const auto v = j.at(key).get<int64_t>();
  if (v <= 0) throw std::invalid_argument(std::string(key) + " must be positive");
  if (v > limit) throw std::invalid_argument(over_limit(key, v, limit));
  return v;
}

}  // namespace

Pooling parse_pooling(const std::string& name) {
  if (name == "max") return Pooling::kMax;
  if (name == "attention") return Pooling::kAttention;
  throw std::invalid_argument("pooling '" + name + "' is not one of max, attention");
}

const char* pooling_name(Pooling pooling) { return pooling == Pooling::kMax ? "max" : "attention"; }

nlohmann::json StudentConfig::to_json() const {
  return {{"model_type", kModelType},         {"vocab_size", vocab_size},
          {"embedding_size", embedding_size}, {"hidden_size", hidden_size},
          {"num_layers", num_layers},         {"pooling", pooling_name(pooling)},
          {"attention_size", attention_size}, {"dropout", dropout},
          {"pad_token_id", pad_token_id},     {"lexicon_features", lexicon_features}};
}

StudentConfig StudentConfig::from_json(const nlohmann::json& j) {
  StudentConfig c;
  c.vocab_size = positive(j, "vocab_size", kMaxModelVocab);
  c.embedding_size = positive(j, "embedding_size", kMaxModelWidth);
  c.hidden_size = positive(j, "hidden_size", kMaxModelWidth);
  c.num_layers = positive(j, "num_layers", kMaxModelLayers);
  c.pooling = parse_pooling(j.value("pooling", std::string("max")));
  c.attention_size =
      j.contains("attention_size") ? positive(j, "attention_size", kMaxModelWidth) : 128;
  c.dropout = j.value("dropout", 0.1);
  if (!(c.dropout >= 0.0 && c.dropout < 1.0))
    throw std::invalid_argument("dropout must be in [0, 1)");
  c.pad_token_id = j.value("pad_token_id", int64_t{0});
  if (c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size)
    throw std::invalid_argument("pad_token_id outside the vocabulary");
  c.lexicon_features = j.value("lexicon_features", int64_t{0});
  if (c.lexicon_features < 0 ||
      c.lexicon_features > static_cast<int64_t>(kLexiconPositions * kMaxLexiconCategories))
    throw std::invalid_argument("lexicon_features outside [0, " +
                                std::to_string(kLexiconPositions * kMaxLexiconCategories) + "]");
  return c;
}

AttentionPoolingImpl::AttentionPoolingImpl(int64_t input, int64_t hidden) {
  proj = register_module("proj", torch::nn::Linear(input, hidden));
  context = register_module("context",
                            torch::nn::Linear(torch::nn::LinearOptions(hidden, 1).bias(false)));
}

torch::Tensor AttentionPoolingImpl::forward(const torch::Tensor& h, const torch::Tensor& mask) {
  auto scores = context->forward(torch::tanh(proj->forward(h))).squeeze(-1);  // [B,L]
  scores = scores.masked_fill(mask == 0, -1e9);
  const auto weights = torch::softmax(scores, 1).unsqueeze(-1);
  return (weights * h).sum(1);
}

StudentEmbeddingsImpl::StudentEmbeddingsImpl(int64_t vocab, int64_t dim, int64_t pad) {
  word_embeddings = register_module("word_embeddings",
                                    torch::nn::Embedding(torch::nn::EmbeddingOptions(vocab, dim)));
  torch::NoGradGuard no_grad;
  // N(0, 0.1) rather than torch's N(0, 1): the LSTM gates start unsaturated. The pad row is never
  // read at a real position; it is zeroed for tidiness only.
  word_embeddings->weight.normal_(0.0, 0.1);
  word_embeddings->weight[pad].zero_();
}

JointBiLSTMImpl::JointBiLSTMImpl(const StudentConfig& config, const LabelSpace& labels)
    : config_(config) {
  embeddings = register_module(
      "embeddings",
      StudentEmbeddings(config.vocab_size, config.embedding_size, config.pad_token_id));
  lstm = register_module(
      "lstm",
      torch::nn::LSTM(torch::nn::LSTMOptions(config.embedding_size + config.lexicon_features,
                                             config.hidden_size)
                          .num_layers(config.num_layers)
                          .bidirectional(true)
                          .batch_first(true)
                          .dropout(config.num_layers > 1 ? config.dropout : 0.0)));
  const int64_t features = 2 * config.hidden_size;
  if (config.pooling == Pooling::kAttention)
    attention = register_module("attention", AttentionPooling(features, config.attention_size));
  dropout = register_module("dropout", torch::nn::Dropout(config.dropout));
  domain_classifier =
      register_module("domain_classifier", torch::nn::Linear(features, labels.domains().size()));
  intent_classifier =
      register_module("intent_classifier", torch::nn::Linear(features, labels.intents().size()));
  slot_classifier =
      register_module("slot_classifier", torch::nn::Linear(features, labels.tags().size()));
}

JointLogits JointBiLSTMImpl::forward(const torch::Tensor& input_ids,
                                     const torch::Tensor& attention_mask,
                                     const torch::Tensor& lexicon) {
  namespace rnn = torch::nn::utils::rnn;
  const int64_t length = input_ids.size(1);
  auto x = dropout->forward(embeddings->word_embeddings->forward(input_ids));
  if (config_.lexicon_features > 0) {
    if (!lexicon.defined() || lexicon.dim() != 3 || lexicon.size(0) != input_ids.size(0) ||
        lexicon.size(1) != length || lexicon.size(2) != config_.lexicon_features)
      throw std::invalid_argument("student: the model reads " +
                                  std::to_string(config_.lexicon_features) +
                                  " lexicon features per position; the batch has " +
                                  (lexicon.defined() ? shape_string(lexicon.sizes()) : "none"));
    // The features as they are (0/1): no dropout, the k-fold lexicons already teach the model
    // not to trust them blindly.
    x = torch::cat({x, lexicon.to(x.dtype())}, -1);
  }
  // Packing keeps the backward direction from starting on padding, so a padded batch gives the
  // same results as one utterance at a time (what the runtime computes).
  const auto lengths = attention_mask.sum(1).to(torch::kCPU, torch::kInt64);
  const auto packed = rnn::pack_padded_sequence(x, lengths, /*batch_first=*/true,
                                                /*enforce_sorted=*/false);
  auto [packed_out, state] = lstm->forward_with_packed_input(packed);
  (void)state;
  auto h = std::get<0>(rnn::pad_packed_sequence(packed_out, /*batch_first=*/true,
                                                /*padding_value=*/0.0, length));
  const auto mask = attention_mask.to(h.device());
  torch::Tensor pooled;
  if (config_.pooling == Pooling::kAttention) {
    pooled = attention->forward(h, mask);
  } else {
    pooled = std::get<0>(h.masked_fill((mask == 0).unsqueeze(-1), -1e9).max(1));
  }
  pooled = dropout->forward(pooled);
  const auto tokens = dropout->forward(h);
  return {domain_classifier->forward(pooled), intent_classifier->forward(pooled),
          slot_classifier->forward(tokens)};
}

JointModel as_joint_model(JointBiLSTM model) {
  return {model.ptr(), [model](const Batch& b) mutable {
            return model->forward(b.input_ids, b.attention_mask, b.lexicon);
          }};
}

nlohmann::json student_config_json(const StudentSpec& spec) {
  nlohmann::json j = spec.model.to_json();
  j["architectures"] = {kArchitecture};
  j[kSection] = jointnlu_section(kModelType, {spec.labels, spec.max_length, spec.tokenizer,
                                              spec.training, spec.lexicon_categories});
  return j;
}

bool is_student_config(const nlohmann::json& config) {
  return config.is_object() && config.value("model_type", "") == kModelType;
}

StudentSpec parse_student_config(const nlohmann::json& config, const std::string& source) {
  try {
    if (!is_student_config(config))
      throw std::invalid_argument(std::string("model_type is not '") + kModelType + "'");
    StudentSpec spec;
    spec.model = StudentConfig::from_json(config);
    auto section = parse_jointnlu_section(config, kModelType, 4096);
    spec.labels = std::move(section.labels);
    spec.max_length = section.max_length;
    spec.tokenizer = section.tokenizer;
    spec.training = std::move(section.training);
    spec.lexicon_categories = std::move(section.lexicon_categories);
    if (spec.model.lexicon_features !=
        static_cast<int64_t>(kLexiconPositions * spec.lexicon_categories.size()))
      throw std::invalid_argument(
          "lexicon_features " + std::to_string(spec.model.lexicon_features) +
          " does not match the " + std::to_string(spec.lexicon_categories.size()) +
          " lexicon categories (4 features each)");
    return spec;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(source + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(source + ": " + e.what());
  }
}

CheckpointContents student_checkpoint(const StudentSpec& spec, const Tokenizer& tokenizer,
                                      StateDict tensors, const Lexicon* lexicon) {
  return joint_checkpoint(student_config_json(spec), tokenizer, std::move(tensors), lexicon);
}

LoadedStudent load_student(const std::string& dir) {
  if (!fs::is_directory(dir)) throw IoError(dir, "not a model directory");
  StudentSpec spec =
      parse_student_config(read_config(dir), (fs::path(dir) / "config.json").string());
  Tokenizer tokenizer =
      Tokenizer::from_vocab_file((fs::path(dir) / "vocab.txt").string(), spec.tokenizer);
  if (static_cast<int64_t>(tokenizer.vocab_size()) != spec.model.vocab_size)
    throw std::invalid_argument(dir + ": vocab.txt has " + std::to_string(tokenizer.vocab_size()) +
                                " tokens, config.json says vocab_size " +
                                std::to_string(spec.model.vocab_size));
  JointBiLSTM model(spec.model, spec.labels);
  const auto tensors = read_safetensors((fs::path(dir) / "model.safetensors").string());
  LoadOptions options;
  options.error_on_unexpected = true;
  load_state_dict(*model, tensors, options);
  model->eval();
  auto lexicon = read_model_lexicon(dir, spec.lexicon_categories);
  return {std::move(spec), std::move(tokenizer), std::move(model), std::move(lexicon)};
}

void set_embeddings(JointBiLSTM& model, const torch::Tensor& source) {
  auto& weight = model->embeddings->word_embeddings->weight;
  if (source.dim() != 2 || source.size(0) != weight.size(0) || source.size(1) != weight.size(1))
    throw std::invalid_argument("embedding initialisation: matrix " + shape_string(source.sizes()) +
                                " does not fit the student's " + shape_string(weight.sizes()));
  torch::NoGradGuard no_grad;
  weight.copy_(source.to(weight.dtype()));
}

}  // namespace jointnlu::train
