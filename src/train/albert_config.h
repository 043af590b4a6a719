// ALBERT hyper-parameters, spelled like the keys of a Hugging Face `AlbertConfig` config.json so a
// checkpoint's config can be read and written without a translation table.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace jointnlu::train {

// Defaults are those of Hugging Face's AlbertConfig (the xxlarge shape) so that a config.json that
// omits an optional key means the same thing here as in transformers. Use a preset for real work.
struct AlbertConfig {
  // Rows of the word embedding and of the MLM decoder; set from the tokenizer's vocabulary.
  int64_t vocab_size = 30000;
  // Width E of the factorised embeddings; projected to hidden_size by embedding_hidden_mapping_in.
  int64_t embedding_size = 128;
  // Width H of the transformer layers and of the pooled output.
  int64_t hidden_size = 4096;
  // Number of layer applications (depth); layers are shared across groups, so this is not the
  // number of distinct parameter sets.
  int64_t num_hidden_layers = 12;
  // Number of distinct parameter groups; consecutive blocks of num_hidden_layers /
  // num_hidden_groups layers reuse one group.
  int64_t num_hidden_groups = 1;
  // Attention heads per layer; hidden_size must be a multiple of it.
  int64_t num_attention_heads = 64;
  // Width of the feed-forward inner layer (ffn).
  int64_t intermediate_size = 16384;
  // Distinct layers inside a group, applied in sequence every time the group is used.
  int64_t inner_group_num = 1;
  // Activation of the FFN and of the MLM head: "gelu_new" (tanh approximation, ALBERT's own),
  // "gelu" (exact, erf), "relu"; "gelu_pytorch_tanh" is accepted as a synonym of "gelu_new".
  std::string hidden_act = "gelu_new";
  // Dropout on embeddings and on each sub-layer output before its residual LayerNorm.
  double hidden_dropout_prob = 0.0;
  // Dropout on the attention probabilities.
  double attention_probs_dropout_prob = 0.0;
  // Dropout before the SOP classifier (Hugging Face's classifier_dropout_prob).
  double classifier_dropout_prob = 0.1;
  // Longest sequence the position embedding table covers.
  int64_t max_position_embeddings = 512;
  // Segment types (sentence A / B) for token_type_ids.
  int64_t type_vocab_size = 2;
  // Epsilon of every LayerNorm (embeddings, layers, MLM head).
  double layer_norm_eps = 1e-12;
  // Standard deviation of the normal initialisation of Linear and Embedding weights.
  double initializer_range = 0.02;
  // Token id of [PAD]: its embedding row is zero at initialisation and gets no gradient through the
  // embedding lookup, as with Hugging Face's padding_idx.
  int64_t pad_token_id = 0;

  // The activations hidden_act may name.
  static const std::vector<std::string>& supported_activations();

  // Presets; the vocabulary size comes from the tokenizer at run time. Dropout is 0.1 (ALBERT v1
  // and BERT fine-tuning practice) since our SLU corpora are small enough to overfit. tiny: the
  // widely used Chinese albert_tiny shape (E128, H312, 4 layers, 12 heads, FF1248).
  static AlbertConfig tiny(int64_t vocab_size);
  // small: between tiny and base, our choice (E128, H384, 6 layers, 12 heads, FF1536): a 4x FFN at
  // 32-wide heads, about 2x tiny's compute per token.
  static AlbertConfig small(int64_t vocab_size);
  // base: ALBERT-base from the paper (E128, H768, 12 layers, 12 heads, FF3072, all layers shared).
  static AlbertConfig base(int64_t vocab_size);
  // The preset called `name`: tiny, small, base, or one of them with "-unshared" appended (every
  // layer its own parameter group, num_hidden_groups = num_hidden_layers: more parameters, the
  // same compute, and faster masked-LM learning per step than cross-layer sharing). Throws
  // std::invalid_argument for another name.
  static AlbertConfig from_preset(const std::string& name, int64_t vocab_size);
  // A preset name as above, or the path of a Hugging Face style config.json (a name ending in
  // ".json") whose vocab_size, if any, is replaced by `vocab_size`. Lets a user pretrain any shape
  // (say no factorised embeddings, or dropout 0) without a new preset. Throws
  // std::invalid_argument naming the file and the problem.
  static AlbertConfig from_preset_or_file(const std::string& name, int64_t vocab_size);
  // "bert-" + a size above (bert-tiny, bert-small, bert-base): the BERT-shaped encoder of that size
  // as this ALBERT computes it, the way a loaded BERT checkpoint runs (train/encoder_families.h):
  // no factorised embedding (embedding_size = hidden_size) and every layer its own parameters. The
  // embedding projection, which BERT does not have, starts as the identity
  // (init_embedding_projection_identity, applied by whoever builds a fresh model from the preset).
  static bool is_bert_preset(const std::string& name) { return name.starts_with("bert-"); }
  // The names from_preset accepts.
  static const std::vector<std::string>& preset_names();

  // Reads a Hugging Face config.json object. vocab_size, hidden_size, num_hidden_layers,
  // num_attention_heads and intermediate_size are required; other keys default as above; unrelated
  // keys (architectures, bos_token_id, ...) are ignored. Throws std::invalid_argument naming the
  // key for a wrong type or an invalid value.
  static AlbertConfig from_json(const nlohmann::json& j);
  // Writes every field plus "model_type": "albert", readable by transformers' AlbertConfig.
  nlohmann::json to_json() const;

  // Throws std::invalid_argument with a message naming the offending field(s).
  void validate() const;

  // Layers per group: layer l uses group l / layers_per_group().
  int64_t layers_per_group() const { return num_hidden_layers / num_hidden_groups; }
  int64_t head_size() const { return hidden_size / num_attention_heads; }
};

}  // namespace jointnlu::train
