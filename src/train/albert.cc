#include "train/albert.h"

#include <cmath>
#include <limits>
#include <optional>
#include <set>

namespace jointnlu::train {
namespace {

// HF masks padding with the dtype's lowest finite value (torch.finfo(dtype).min), which softmax
// turns into an exact zero weight without producing inf - inf = NaN.
double lowest_of(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kDouble:
      return std::numeric_limits<double>::lowest();
    case torch::kHalf:
      return -65504.0;
    case torch::kBFloat16:
      return -3.3895313892515355e38;
    default:
      return std::numeric_limits<float>::lowest();
  }
}

void check_batch_tensor(const torch::Tensor& t, const char* what, const torch::Tensor& input_ids) {
  if (t.defined() && t.sizes() != input_ids.sizes()) {
    throw std::invalid_argument(std::string("albert: ") + what + " has shape " +
                                shape_string(t.sizes()) + ", input_ids has " +
                                shape_string(input_ids.sizes()));
  }
}

}  // namespace

// ---- activations and initialisation ----

Activation parse_activation(const std::string& name) {
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::kGeluNew;
  if (name == "gelu") return Activation::kGelu;
  if (name == "relu") return Activation::kRelu;
  throw std::invalid_argument("albert: unsupported hidden_act '" + name +
                              "' (supported: gelu_new, gelu, relu, gelu_pytorch_tanh)");
}

torch::Tensor apply_activation(Activation act, const torch::Tensor& x) {
  switch (act) {
    case Activation::kGeluNew:
      // 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))): HF's gelu_new, fused by libtorch.
      return torch::gelu(x, "tanh");
    case Activation::kGelu:
      return torch::gelu(x);
    case Activation::kRelu:
      return torch::relu(x);
  }
  throw std::logic_error("albert: bad Activation value");
}

void init_weights_hf(torch::nn::Module& module, double std) {
  torch::NoGradGuard no_grad;
  for (const auto& m : module.modules(/*include_self=*/false)) {
    if (auto* linear = m->as<torch::nn::LinearImpl>()) {
      linear->weight.normal_(0.0, std);
      if (linear->bias.defined()) linear->bias.zero_();
    } else if (auto* embedding = m->as<torch::nn::EmbeddingImpl>()) {
      embedding->weight.normal_(0.0, std);
      if (const auto pad = embedding->options.padding_idx()) embedding->weight[*pad].zero_();
    } else if (auto* norm = m->as<torch::nn::LayerNormImpl>()) {
      if (norm->weight.defined()) norm->weight.fill_(1.0);
      if (norm->bias.defined()) norm->bias.zero_();
    }
  }
}

void init_embedding_projection_unit_scale(AlbertModelImpl& model) {
  torch::NoGradGuard no_grad;
  auto& projection = model.encoder->embedding_hidden_mapping_in;
  const auto fan_in = static_cast<double>(projection->weight.size(1));
  projection->weight.normal_(0.0, 1.0 / std::sqrt(fan_in));
  projection->bias.zero_();
}

void init_embedding_projection_identity(AlbertModelImpl& model) {
  torch::NoGradGuard no_grad;
  auto& projection = model.encoder->embedding_hidden_mapping_in;
  if (projection->weight.size(0) != projection->weight.size(1))
    throw std::invalid_argument("an identity embedding projection needs embedding_size (" +
                                std::to_string(projection->weight.size(1)) + ") = hidden_size (" +
                                std::to_string(projection->weight.size(0)) + ")");
  projection->weight.copy_(torch::eye(projection->weight.size(0), projection->weight.options()));
  projection->bias.zero_();
}

PositionInit parse_position_init(const std::string& name) {
  if (name == "normal") return PositionInit::kNormal;
  if (name == "sinusoidal") return PositionInit::kSinusoidal;
  throw std::invalid_argument("unknown position init '" + name + "' (normal or sinusoidal)");
}

void init_position_embeddings(AlbertModelImpl& model, PositionInit init) {
  torch::NoGradGuard no_grad;
  auto& weight = model.embeddings->position_embeddings->weight;
  const double std = model.config().initializer_range;
  if (init == PositionInit::kNormal) {
    weight.normal_(0.0, std);
    return;
  }
  const int64_t rows = weight.size(0);
  const int64_t width = weight.size(1);
  const auto position = torch::arange(rows, torch::kDouble).unsqueeze(1);
  // Column pair (2i, 2i+1) turns at frequency 10000^(-2i/width).
  const auto frequency =
      torch::exp(torch::arange(0, width, 2, torch::kDouble) * (-std::log(10000.0) / width));
  auto table = torch::zeros({rows, width}, torch::kDouble);
  const auto angle = position * frequency;
  table.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, width, 2)},
                   torch::sin(angle));
  table.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, width, 2)},
                   torch::cos(angle).narrow(1, 0, width / 2));
  // Same scale as the word embeddings it is summed with, so neither drowns the other.
  table = table * (std / table.std());
  weight.copy_(table.to(weight.scalar_type()));
}

// ---- encoder ----

AlbertEmbeddingsImpl::AlbertEmbeddingsImpl(const AlbertConfig& c) {
  word_embeddings = register_module(
      "word_embeddings",
      torch::nn::Embedding(
          torch::nn::EmbeddingOptions(c.vocab_size, c.embedding_size).padding_idx(c.pad_token_id)));
  position_embeddings = register_module(
      "position_embeddings", torch::nn::Embedding(c.max_position_embeddings, c.embedding_size));
  token_type_embeddings = register_module(
      "token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, c.embedding_size));
  LayerNorm = register_module(
      "LayerNorm",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.embedding_size}).eps(c.layer_norm_eps)));
  dropout = register_module("dropout", torch::nn::Dropout(c.hidden_dropout_prob));
}

torch::Tensor AlbertEmbeddingsImpl::forward(const torch::Tensor& input_ids,
                                            const torch::Tensor& token_type_ids,
                                            const torch::Tensor& position_ids,
                                            const torch::Tensor& extra) {
  const int64_t length = input_ids.size(1);
  const int64_t max_length = position_embeddings->options.num_embeddings();
  if (length > max_length) {
    throw std::invalid_argument("albert: sequence length " + std::to_string(length) +
                                " exceeds max_position_embeddings " + std::to_string(max_length));
  }
  const auto positions =
      position_ids.defined()
          ? position_ids
          : torch::arange(length, input_ids.options().dtype(torch::kLong)).unsqueeze(0);
  const auto types =
      token_type_ids.defined() ? token_type_ids : torch::zeros_like(input_ids, torch::kLong);
  // Summed in HF's order (word + type, then position) so rounding matches too.
  auto x = word_embeddings->forward(input_ids) + token_type_embeddings->forward(types);
  x = x + position_embeddings->forward(positions);
  if (extra.defined()) x = x + extra;
  return dropout->forward(LayerNorm->forward(x));
}

AlbertAttentionImpl::AlbertAttentionImpl(const AlbertConfig& c)
    : num_heads_(c.num_attention_heads), head_size_(c.head_size()) {
  const int64_t h = c.hidden_size;
  query = register_module("query", torch::nn::Linear(h, h));
  key = register_module("key", torch::nn::Linear(h, h));
  value = register_module("value", torch::nn::Linear(h, h));
  dense = register_module("dense", torch::nn::Linear(h, h));
  LayerNorm = register_module(
      "LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(c.layer_norm_eps)));
  attention_dropout =
      register_module("attention_dropout", torch::nn::Dropout(c.attention_probs_dropout_prob));
  output_dropout = register_module("output_dropout", torch::nn::Dropout(c.hidden_dropout_prob));
}

torch::Tensor AlbertAttentionImpl::forward(const torch::Tensor& hidden,
                                           const torch::Tensor& additive_mask) {
  const int64_t batch = hidden.size(0);
  const int64_t length = hidden.size(1);
  // [B,L,H] -> [B,heads,L,head_size]
  const auto split = [&](const torch::Tensor& t) {
    return t.view({batch, length, num_heads_, head_size_}).transpose(1, 2);
  };
  const auto q = split(query->forward(hidden));
  const auto k = split(key->forward(hidden));
  const auto v = split(value->forward(hidden));
  auto scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_size_));
  if (additive_mask.defined()) scores = scores + additive_mask;
  const auto probs = attention_dropout->forward(torch::softmax(scores, -1));
  const auto context =
      torch::matmul(probs, v).transpose(1, 2).reshape({batch, length, num_heads_ * head_size_});
  return LayerNorm->forward(hidden + output_dropout->forward(dense->forward(context)));
}

AlbertLayerImpl::AlbertLayerImpl(const AlbertConfig& c)
    : activation_(parse_activation(c.hidden_act)) {
  full_layer_layer_norm = register_module(
      "full_layer_layer_norm",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
  attention = register_module("attention", AlbertAttention(c));
  ffn = register_module("ffn", torch::nn::Linear(c.hidden_size, c.intermediate_size));
  ffn_output = register_module("ffn_output", torch::nn::Linear(c.intermediate_size, c.hidden_size));
}

torch::Tensor AlbertLayerImpl::forward(const torch::Tensor& hidden,
                                       const torch::Tensor& additive_mask) {
  const auto attended = attention->forward(hidden, additive_mask);
  // No dropout on the FFN output: HF's AlbertLayer never applies one (see albert.h).
  const auto ffn_out = ffn_output->forward(apply_activation(activation_, ffn->forward(attended)));
  return full_layer_layer_norm->forward(ffn_out + attended);
}

AlbertLayerGroupImpl::AlbertLayerGroupImpl(const AlbertConfig& c) {
  albert_layers = register_module("albert_layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.inner_group_num; ++i) albert_layers->push_back(AlbertLayer(c));
}

torch::Tensor AlbertLayerGroupImpl::forward(torch::Tensor hidden,
                                            const torch::Tensor& additive_mask) {
  for (const auto& layer : *albert_layers) {
    hidden = layer->as<AlbertLayerImpl>()->forward(hidden, additive_mask);
  }
  return hidden;
}

AlbertTransformerImpl::AlbertTransformerImpl(const AlbertConfig& c)
    : num_layers_(c.num_hidden_layers), layers_per_group_(c.layers_per_group()) {
  embedding_hidden_mapping_in = register_module("embedding_hidden_mapping_in",
                                                torch::nn::Linear(c.embedding_size, c.hidden_size));
  albert_layer_groups = register_module("albert_layer_groups", torch::nn::ModuleList());
  for (int64_t g = 0; g < c.num_hidden_groups; ++g)
    albert_layer_groups->push_back(AlbertLayerGroup(c));
}

torch::Tensor AlbertTransformerImpl::forward(const torch::Tensor& embeddings,
                                             const torch::Tensor& additive_mask) {
  auto hidden = embedding_hidden_mapping_in->forward(embeddings);
  for (int64_t layer = 0; layer < num_layers_; ++layer) {
    auto* group = albert_layer_groups[static_cast<std::size_t>(layer / layers_per_group_)]
                      ->as<AlbertLayerGroupImpl>();
    hidden = group->forward(hidden, additive_mask);
  }
  return hidden;
}

AlbertModelImpl::AlbertModelImpl(AlbertConfig config) : config_(std::move(config)) {
  config_.validate();
  embeddings = register_module("embeddings", AlbertEmbeddings(config_));
  encoder = register_module("encoder", AlbertTransformer(config_));
  pooler = register_module("pooler", torch::nn::Linear(config_.hidden_size, config_.hidden_size));
  init_weights_hf(*this, config_.initializer_range);
}

torch::Tensor additive_attention_mask(const torch::Tensor& attention_mask,
                                      const PackedLayout& layout, torch::ScalarType dtype) {
  if (layout.attention_blocks.defined()) {
    // [B,1,L,L]: query i may see key j only inside its own block (and never padding).
    auto visible = layout.attention_blocks.unsqueeze(2) == layout.attention_blocks.unsqueeze(1);
    if (attention_mask.defined()) visible = visible & (attention_mask != 0).unsqueeze(1);
    return ((1.0 - visible.to(dtype)) * lowest_of(dtype)).unsqueeze(1);
  }
  if (!attention_mask.defined()) return {};
  const auto keep = attention_mask.to(dtype);
  // [B,1,1,L]: broadcast over heads and query positions; masks keys only, as HF does.
  return ((1.0 - keep) * lowest_of(dtype)).unsqueeze(1).unsqueeze(2);
}

AlbertOutput AlbertModelImpl::forward(const torch::Tensor& input_ids,
                                      const torch::Tensor& attention_mask,
                                      const torch::Tensor& token_type_ids,
                                      const PackedLayout& layout,
                                      const torch::Tensor& embedding_extra) {
  if (input_ids.dim() != 2 || input_ids.scalar_type() != torch::kLong) {
    throw std::invalid_argument("albert: input_ids must be an int64 [B,L] tensor, got " +
                                std::string(c10::toString(input_ids.scalar_type())) + " " +
                                shape_string(input_ids.sizes()));
  }
  check_batch_tensor(attention_mask, "attention_mask", input_ids);
  check_batch_tensor(token_type_ids, "token_type_ids", input_ids);
  check_batch_tensor(layout.position_ids, "position_ids", input_ids);
  check_batch_tensor(layout.attention_blocks, "attention_blocks", input_ids);

  const auto additive_mask = additive_attention_mask(
      attention_mask, layout, embeddings->word_embeddings->weight.scalar_type());
  const auto embedded =
      embeddings->forward(input_ids, token_type_ids, layout.position_ids, embedding_extra);
  AlbertOutput out;
  out.sequence_output = encoder->forward(embedded, additive_mask);
  out.pooled_output = torch::tanh(pooler->forward(out.sequence_output.select(1, 0)));
  return out;
}

// ---- pretraining heads ----

AlbertMLMHeadImpl::AlbertMLMHeadImpl(const AlbertConfig& c)
    : activation_(parse_activation(c.hidden_act)) {
  // Registration order gives HF's named_parameters order: own parameters (bias) come first anyway.
  LayerNorm = register_module(
      "LayerNorm",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.embedding_size}).eps(c.layer_norm_eps)));
  bias = register_parameter("bias", torch::zeros({c.vocab_size}));
  dense = register_module("dense", torch::nn::Linear(c.hidden_size, c.embedding_size));
}

torch::Tensor AlbertMLMHeadImpl::forward(const torch::Tensor& hidden,
                                         const torch::Tensor& decoder_weight) {
  const auto h = LayerNorm->forward(apply_activation(activation_, dense->forward(hidden)));
  return torch::linear(h, decoder_weight, bias);
}

AlbertSOPHeadImpl::AlbertSOPHeadImpl(const AlbertConfig& c) {
  dropout = register_module("dropout", torch::nn::Dropout(c.classifier_dropout_prob));
  classifier = register_module("classifier", torch::nn::Linear(c.hidden_size, 2));
}

torch::Tensor AlbertSOPHeadImpl::forward(const torch::Tensor& pooled) {
  return classifier->forward(dropout->forward(pooled));
}

AlbertForPreTrainingImpl::AlbertForPreTrainingImpl(AlbertConfig config)
    : config_(std::move(config)) {
  albert = register_module("albert", AlbertModel(config_));
  predictions = register_module("predictions", AlbertMLMHead(config_));
  sop_classifier = register_module("sop_classifier", AlbertSOPHead(config_));
  init_weights_hf(*predictions, config_.initializer_range);
  init_weights_hf(*sop_classifier, config_.initializer_range);
  torch::NoGradGuard no_grad;
  predictions->bias.zero_();
}

AlbertPreTrainingOutput AlbertForPreTrainingImpl::forward(const torch::Tensor& input_ids,
                                                          const torch::Tensor& attention_mask,
                                                          const torch::Tensor& token_type_ids,
                                                          const torch::Tensor& mlm_positions,
                                                          const PackedLayout& layout) {
  AlbertPreTrainingOutput out;
  out.encoder = albert->forward(input_ids, attention_mask, token_type_ids, layout);
  auto hidden = out.encoder.sequence_output;
  if (mlm_positions.defined()) {
    hidden = hidden.reshape({-1, hidden.size(-1)}).index_select(0, mlm_positions);
  }
  out.mlm_logits = predictions->forward(hidden, albert->embeddings->word_embeddings->weight);
  out.sop_logits = sop_classifier->forward(out.encoder.pooled_output);
  return out;
}

std::vector<std::pair<std::string, std::string>> AlbertForPreTrainingImpl::tied_aliases() const {
  return {{"predictions.decoder.weight", "albert.embeddings.word_embeddings.weight"},
          {"predictions.decoder.bias", "predictions.bias"}};
}

}  // namespace jointnlu::train
