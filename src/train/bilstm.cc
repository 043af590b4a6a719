#include "train/bilstm.h"

#include <stdexcept>

#include "core/model_directory.h"
#include "train/model_section.h"

namespace jointnlu::train {

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

JointBiLSTMImpl::JointBiLSTMImpl(const StudentSpec& spec) : spec_(spec) {
  const auto i64 = [](std::size_t n) { return static_cast<int64_t>(n); };
  embeddings = register_module(
      "embeddings",
      StudentEmbeddings(i64(spec.vocab_size), i64(spec.embedding_size), spec.pad_token_id));
  lstm = register_module(
      "lstm",
      torch::nn::LSTM(torch::nn::LSTMOptions(i64(spec.embedding_size + spec.lexicon_features()),
                                             i64(spec.hidden_size))
                          .num_layers(i64(spec.num_layers))
                          .bidirectional(true)
                          .batch_first(true)
                          .dropout(spec.num_layers > 1 ? spec.dropout : 0.0)));
  const int64_t features = 2 * i64(spec.hidden_size);
  if (spec.pooling == Pooling::kAttention)
    attention = register_module("attention", AttentionPooling(features, i64(spec.attention_size)));
  dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
  const LabelSpace& labels = spec.labels;
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
  if (const auto features = static_cast<int64_t>(spec_.lexicon_features()); features > 0) {
    if (!lexicon.defined() || lexicon.dim() != 3 || lexicon.size(0) != input_ids.size(0) ||
        lexicon.size(1) != length || lexicon.size(2) != features)
      throw std::invalid_argument("student: the model reads " + std::to_string(features) +
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
  if (spec_.pooling == Pooling::kAttention) {
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

CheckpointContents student_checkpoint(const StudentSpec& spec, const Tokenizer& tokenizer,
                                      StateDict tensors, const Lexicon* lexicon) {
  return joint_checkpoint(student_config_json(spec), tokenizer, std::move(tensors), lexicon);
}

LoadedStudent load_student(const std::string& dir) {
  LoadOptions options;
  options.error_on_unexpected = true;
  return load_joint_model<StudentSpec, JointBiLSTM>(
      dir, parse_student_config, [](const StudentSpec& s) { return s.vocab_size; },
      [](const StudentSpec& s) { return JointBiLSTM(s); }, options);
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
