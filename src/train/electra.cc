#include "train/electra.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace jointnlu::train {

AlbertConfig generator_config(const AlbertConfig& discriminator, double fraction) {
  if (!(fraction > 0 && fraction <= 1))
    throw std::invalid_argument("generator_fraction must be in (0, 1], got " +
                                std::to_string(fraction));
  const auto scaled = [&](int64_t v) {
    return std::max<int64_t>(1, std::llround(static_cast<double>(v) * fraction));
  };
  AlbertConfig g = discriminator;
  g.num_attention_heads = scaled(discriminator.num_attention_heads);
  // The nearest multiple of the heads, so that every head keeps a whole slice.
  const int64_t heads = g.num_attention_heads;
  g.hidden_size = std::max(heads, (scaled(discriminator.hidden_size) + heads / 2) / heads * heads);
  g.intermediate_size = scaled(discriminator.intermediate_size);
  g.validate();
  return g;
}

// ---- generator and discriminator head ----

AlbertGeneratorImpl::AlbertGeneratorImpl(const AlbertConfig& config) {
  encoder = register_module("encoder", AlbertTransformer(config));
  predictions = register_module("predictions", AlbertMLMHead(config));
}

torch::Tensor AlbertGeneratorImpl::forward(const torch::Tensor& embedded,
                                           const torch::Tensor& additive_mask,
                                           const torch::Tensor& positions,
                                           const torch::Tensor& decoder_weight) {
  auto hidden = encoder->forward(embedded, additive_mask);
  // Only the predicted positions: the vocabulary projection dominates the generator's cost.
  hidden = hidden.reshape({-1, hidden.size(-1)}).index_select(0, positions);
  return predictions->forward(hidden, decoder_weight);
}

ElectraDiscriminatorPredictionsImpl::ElectraDiscriminatorPredictionsImpl(const AlbertConfig& c)
    : activation_(parse_activation(c.hidden_act)) {
  dense = register_module("dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
  dense_prediction = register_module("dense_prediction", torch::nn::Linear(c.hidden_size, 1));
}

torch::Tensor ElectraDiscriminatorPredictionsImpl::forward(const torch::Tensor& hidden) {
  return dense_prediction->forward(apply_activation(activation_, dense->forward(hidden)))
      .squeeze(-1);
}

RtdHits& RtdHits::operator+=(const RtdHits& o) {
  tokens += o.tokens;
  correct += o.correct;
  replaced += o.replaced;
  replaced_correct += o.replaced_correct;
  return *this;
}

// ---- the pretraining model ----

ElectraForPreTrainingImpl::ElectraForPreTrainingImpl(AlbertConfig discriminator,
                                                     const AlbertConfig& generator_shape)
    : config_(std::move(discriminator)) {
  if (generator_shape.embedding_size != config_.embedding_size ||
      generator_shape.vocab_size != config_.vocab_size)
    throw std::invalid_argument(
        "electra: the generator must share the discriminator's embedding and vocabulary sizes");
  albert = register_module("albert", AlbertModel(config_));
  generator = register_module("generator", AlbertGenerator(generator_shape));
  discriminator_predictions =
      register_module("discriminator_predictions", ElectraDiscriminatorPredictions(config_));
  init_weights_hf(*generator, generator_shape.initializer_range);
  init_weights_hf(*discriminator_predictions, config_.initializer_range);
  torch::NoGradGuard no_grad;
  generator->predictions->bias.zero_();
}

namespace {

// Draws one token per row of logits [N,V] from their softmax, without a gradient path.
torch::Tensor sample_tokens(const torch::Tensor& logits, std::optional<at::Generator>& sampler) {
  torch::NoGradGuard no_grad;
  const auto probs = torch::softmax(logits.detach().to(torch::kFloat), -1);
  if (!sampler) return torch::multinomial(probs, 1).squeeze(1);
  return torch::multinomial(probs.to(torch::kCPU), 1, false, *sampler)
      .squeeze(1)
      .to(logits.device());
}

}  // namespace

RtdForward ElectraForPreTrainingImpl::forward(const RtdBatch& b, double rtd_weight,
                                              std::optional<at::Generator> sampler) {
  const auto& word_weight = albert->embeddings->word_embeddings->weight;
  const auto additive = additive_attention_mask(b.mask, b.layout, word_weight.scalar_type());
  const bool any_target = b.targets.size(0) > 0;
  RtdForward out;

  // Generator: the masked LM on the masked input, through the shared embeddings.
  const auto embedded = albert->embeddings->forward(b.ids, b.types, b.layout.position_ids);
  const auto gen_logits = generator->forward(embedded, additive, b.positions, word_weight);
  out.mlm_loss = any_target ? torch::nn::functional::cross_entropy(gen_logits, b.targets)
                            : gen_logits.sum() * 0;

  // Discriminator input: the original tokens, the predicted positions replaced by samples.
  const auto original = b.ids.reshape({-1}).index_copy(0, b.positions, b.targets);
  auto corrupted = original;
  if (any_target)
    corrupted = original.index_copy(0, b.positions, sample_tokens(gen_logits, sampler));
  const auto replaced = (corrupted != original).view_as(b.ids);
  const auto judged = (b.mask != 0) & (b.ids != b.cls_id) & (b.ids != b.sep_id);
  const auto encoded = albert->forward(corrupted.view_as(b.ids), b.mask, b.types, b.layout);
  const auto logits =
      discriminator_predictions->forward(encoded.sequence_output).masked_select(judged);
  const auto labels = replaced.masked_select(judged);
  out.rtd_loss = logits.numel() > 0 ? torch::nn::functional::binary_cross_entropy_with_logits(
                                          logits, labels.to(logits.scalar_type()))
                                    : logits.sum() * 0;
  out.loss = out.mlm_loss + rtd_weight * out.rtd_loss;

  torch::NoGradGuard no_grad;
  if (any_target) out.mlm = score_mlm(gen_logits, b.targets, b.at_mask);
  const auto hits = (logits > 0) == labels;
  out.rtd.tokens = labels.numel();
  out.rtd.correct = hits.sum().item<std::int64_t>();
  out.rtd.replaced = labels.sum().item<std::int64_t>();
  out.rtd.replaced_correct = (hits & labels).sum().item<std::int64_t>();
  return out;
}

}  // namespace jointnlu::train
