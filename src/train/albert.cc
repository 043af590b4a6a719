#include "train/albert.h"

#include <cmath>
#include <limits>
#include <optional>
#include <set>

namespace jointnlu::train {
namespace {

// The tail of the one tensor every ALBERT encoder has; what precedes it is the encoder's prefix.
constexpr std::string_view kEncoderAnchor = "embeddings.word_embeddings.weight";
// Children of AlbertModel: the only keys moved when the encoder prefix is remapped, so that a
// task head's keys are never renamed into the encoder's namespace.
constexpr std::string_view kEncoderChildren[] = {"embeddings.", "encoder.", "pooler."};
// Buffers HF checkpoints may carry that we recompute instead of storing.
constexpr std::string_view kKnownHfBuffers[] = {"embeddings.position_ids",
                                                "embeddings.token_type_ids"};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool ends_with_component(std::string_view s, std::string_view tail) {
  if (s.size() < tail.size() || s.substr(s.size() - tail.size()) != tail) return false;
  return s.size() == tail.size() || s[s.size() - tail.size() - 1] == '.';
}

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

// Calls f(alias, canonical) with full dotted names for every TiedAliases module in the tree.
template <typename F>
void for_each_tied_alias(const torch::nn::Module& module, F&& f) {
  const auto visit = [&](const torch::nn::Module& m, const std::string& prefix) {
    if (const auto* tied = dynamic_cast<const TiedAliases*>(&m)) {
      for (const auto& [alias, canonical] : tied->tied_aliases())
        f(prefix + alias, prefix + canonical);
    }
  };
  visit(module, "");
  // include_self=false: the top-level module need not be owned by a shared_ptr.
  for (const auto& item : module.named_modules("", /*include_self=*/false)) {
    visit(*item.value(), item.key() + ".");
  }
}

std::optional<std::string> encoder_prefix(const std::vector<std::string>& names) {
  std::optional<std::string> found;
  for (const auto& name : names) {
    if (!ends_with_component(name, kEncoderAnchor)) continue;
    // Two encoders (say a teacher and a student) make the mapping ambiguous: do not guess.
    if (found) return std::nullopt;
    found = name.substr(0, name.size() - kEncoderAnchor.size());
  }
  return found;
}

// `name` moved from the encoder prefix `from` to `to` when it is one of AlbertModel's children
// under `from`; nullopt for every other key (task heads, pretraining heads).
std::optional<std::string> move_encoder_key(const std::string& name, std::string_view from,
                                            std::string_view to) {
  if (!starts_with(name, from)) return std::nullopt;
  const std::string_view rest = std::string_view(name).substr(from.size());
  for (const auto child : kEncoderChildren) {
    if (starts_with(rest, child)) return std::string(to) + std::string(rest);
  }
  return std::nullopt;
}

bool is_known_hf_buffer(const std::string& name) {
  for (const auto tail : kKnownHfBuffers) {
    if (ends_with_component(name, tail)) return true;
  }
  return false;
}

std::string join_names(const std::vector<std::string>& names, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  if (names.size() > limit) {
    out += ", ... (";
    out += std::to_string(names.size());
    out += " in all)";
  }
  return out;
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

// ---- state I/O ----

std::string shape_string(at::IntArrayRef shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

StateDict state_dict(const torch::nn::Module& module, bool include_tied_aliases) {
  StateDict out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out[p.key()] = p.value().detach();
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out[b.key()] = b.value().detach();
  if (include_tied_aliases) {
    for_each_tied_alias(module, [&](const std::string& alias, const std::string& canonical) {
      const auto it = out.find(canonical);
      if (it != out.end()) out[alias] = it->second;
    });
  }
  return out;
}

StateDict encoder_tensors_under(const StateDict& tensors, const std::string& prefix) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : tensors) names.push_back(name);
  const auto from = encoder_prefix(names);
  StateDict out;
  if (!from) return out;
  for (const auto& [name, tensor] : tensors) {
    if (const auto moved = move_encoder_key(name, *from, prefix)) out.emplace(*moved, tensor);
  }
  return out;
}

LoadReport load_state_dict(torch::nn::Module& module, const StateDict& checkpoint,
                           const LoadOptions& options) {
  LoadReport report;

  // Expected tensors in module order, so "the first mismatch" is deterministic.
  std::vector<std::pair<std::string, torch::Tensor>> expected;
  for (const auto& p : module.named_parameters(/*recurse=*/true))
    expected.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/true))
    expected.emplace_back(b.key(), b.value());
  std::map<std::string, std::string> alias_to_canonical;
  for_each_tied_alias(module, [&](const std::string& alias, const std::string& canonical) {
    alias_to_canonical[alias] = canonical;
  });

  // Map the encoder prefix ("albert." vs "") when the checkpoint's differs from the module's.
  std::vector<std::string> module_names;
  for (const auto& [name, tensor] : expected) module_names.push_back(name);
  std::vector<std::string> checkpoint_names;
  for (const auto& [name, tensor] : checkpoint) checkpoint_names.push_back(name);
  const auto module_prefix = encoder_prefix(module_names);
  const auto checkpoint_prefix = encoder_prefix(checkpoint_names);
  StateDict remapped;
  const StateDict* source = &checkpoint;
  if (module_prefix && checkpoint_prefix && *module_prefix != *checkpoint_prefix) {
    for (const auto& [name, tensor] : checkpoint) {
      const std::string target =
          move_encoder_key(name, *checkpoint_prefix, *module_prefix).value_or(name);
      if (!remapped.emplace(target, tensor).second) {
        throw CheckpointError(target + ": present in the checkpoint both with and without the '" +
                              *checkpoint_prefix + "' prefix");
      }
    }
    source = &remapped;
    report.prefix_remapped = true;
    report.checkpoint_prefix = *checkpoint_prefix;
    report.module_prefix = *module_prefix;
  }

  const auto allowed_missing = [&](const std::string& name) {
    for (const auto& prefix : options.allow_missing_prefixes) {
      if (starts_with(name, prefix)) return true;
    }
    return false;
  };
  const auto check = [&](const std::string& name, const torch::Tensor& dst,
                         const torch::Tensor& src) {
    if (!src.defined()) throw CheckpointError(name + ": the checkpoint tensor is undefined");
    if (src.sizes() != dst.sizes()) {
      throw CheckpointError(name + ": shape " + shape_string(dst.sizes()) +
                            " expected, checkpoint has " + shape_string(src.sizes()));
    }
    if (src.scalar_type() != dst.scalar_type() &&
        !(options.allow_dtype_conversion && src.is_floating_point() && dst.is_floating_point())) {
      throw CheckpointError(name + ": dtype " + std::string(c10::toString(dst.scalar_type())) +
                            " expected, checkpoint has " + c10::toString(src.scalar_type()));
    }
    // A NaN or Inf weight loads silently and gives NaN scores or wrong labels later.
    if (src.is_floating_point()) {
      const auto bad = torch::logical_not(torch::isfinite(src)).sum().item<int64_t>();
      if (bad > 0)
        throw CheckpointError(name + ": " + std::to_string(bad) + " of " +
                              std::to_string(src.numel()) + " values are not finite (NaN or Inf)");
    }
  };

  // Validate everything before copying anything: a failed load must not leave a half-loaded model.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // (destination, source)
  std::set<std::string> used;
  std::map<std::string, torch::Tensor> expected_by_name;
  for (const auto& [name, dst] : expected) {
    expected_by_name[name] = dst;
    std::string source_name = name;
    auto it = source->find(name);
    if (it == source->end()) {
      // A checkpoint may hold a tied tensor only under its alias (HF writes either form).
      for (const auto& [alias, canonical] : alias_to_canonical) {
        if (canonical != name) continue;
        it = source->find(alias);
        if (it != source->end()) {
          source_name = alias;
          break;
        }
      }
    }
    if (it == source->end()) {
      if (allowed_missing(name)) {
        report.missing.push_back(name);
        continue;
      }
      throw CheckpointError(name + ": missing from checkpoint (expected shape " +
                            shape_string(dst.sizes()) + ")");
    }
    check(source_name, dst, it->second);
    used.insert(source_name);
    copies.emplace_back(dst, it->second);
    report.loaded.push_back(name);
  }
  // Aliases that came along with their canonical tensor are consumed, but must still fit.
  for (const auto& [alias, canonical] : alias_to_canonical) {
    const auto it = source->find(alias);
    const auto dst = expected_by_name.find(canonical);
    if (it == source->end() || dst == expected_by_name.end() || used.count(alias)) continue;
    check(alias, dst->second, it->second);
    used.insert(alias);
  }
  for (const auto& [name, tensor] : *source) {
    if (used.count(name)) continue;
    (is_known_hf_buffer(name) ? report.ignored : report.unexpected).push_back(name);
  }
  if (options.error_on_unexpected && !report.unexpected.empty()) {
    throw CheckpointError("unexpected tensors in checkpoint: " + join_names(report.unexpected, 10));
  }

  torch::NoGradGuard no_grad;
  for (auto& [dst, src] : copies) dst.copy_(src);
  return report;
}

}  // namespace jointnlu::train
