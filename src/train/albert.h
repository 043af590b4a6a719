// The ALBERT encoder and its pretraining heads, computing what Hugging Face's AlbertModel /
// AlbertForPreTraining compute, with the same parameter names so that checkpoints move both ways.
//
// Module tree (registered names are the checkpoint keys):
//   AlbertForPreTraining
//     albert: AlbertModel
//       embeddings: word_embeddings [V,E], position_embeddings [P,E], token_type_embeddings [T,E],
//                   LayerNorm [E]
//       encoder: embedding_hidden_mapping_in [H,E],
//                albert_layer_groups.{g}.albert_layers.{i}: full_layer_layer_norm,
//                attention.{query, key, value, dense, LayerNorm}, ffn [F,H], ffn_output [H,F]
//       pooler [H,H]
//     predictions: bias [V], LayerNorm [E], dense [E,H]; decoder.weight is word_embeddings.weight
//     sop_classifier: classifier [2,H]
//
// Dropout follows HF exactly, including its one departure from Google's TF ALBERT: there is NO
// dropout on the FFN output before full_layer_layer_norm (HF's AlbertLayer defines one but never
// calls it). Matching HF keeps training here equivalent to training there; eval mode is unaffected.
#pragma once

#include <torch/torch.h>

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "train/albert_config.h"
#include "train/state_dict.h"

namespace jointnlu::train {

// How the FFN and MLM-head activation is computed; parsed once from AlbertConfig::hidden_act.
enum class Activation { kGeluNew, kGelu, kRelu };

// Throws std::invalid_argument for a name not in AlbertConfig::supported_activations().
Activation parse_activation(const std::string& name);
torch::Tensor apply_activation(Activation act, const torch::Tensor& x);

// HF's initialisation: Linear/Embedding weights ~ N(0, std), biases 0, the padding row of an
// Embedding 0, LayerNorm weight 1 and bias 0. Applied to every submodule of `module` (not to
// parameters registered directly on it).
void init_weights_hf(torch::nn::Module& module, double std);

// Word + position + token-type embeddings, then LayerNorm and dropout. [B,L] -> [B,L,E].
class AlbertEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit AlbertEmbeddingsImpl(const AlbertConfig& config);
  // token_type_ids may be undefined (all zeros). Positions are 0..L-1.
  // position_ids [B,L] int64 or undefined (0..L-1 in every row). extra [B,L,E] or undefined:
  // added to the sum before LayerNorm (the joint teacher's projected lexicon features).
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids = {},
                        const torch::Tensor& position_ids = {}, const torch::Tensor& extra = {});

  torch::nn::Embedding word_embeddings{nullptr};
  torch::nn::Embedding position_embeddings{nullptr};
  torch::nn::Embedding token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};  // NOLINT: the HF checkpoint name
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(AlbertEmbeddings);

// Multi-head self-attention with the output projection and the residual LayerNorm.
class AlbertAttentionImpl : public torch::nn::Module {
 public:
  explicit AlbertAttentionImpl(const AlbertConfig& config);
  // hidden [B,L,H]; additive_mask [B,1,1,L] (0 for real keys, a large negative for padding) or
  // undefined. Returns LayerNorm(hidden + dropout(dense(context))).
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& additive_mask);

  torch::nn::Linear query{nullptr};
  torch::nn::Linear key{nullptr};
  torch::nn::Linear value{nullptr};
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};  // NOLINT: the HF checkpoint name
  torch::nn::Dropout attention_dropout{nullptr};
  torch::nn::Dropout output_dropout{nullptr};

 private:
  int64_t num_heads_;
  int64_t head_size_;
};
TORCH_MODULE(AlbertAttention);

// One transformer layer: attention, then full_layer_layer_norm(ffn_output(act(ffn(a))) + a).
class AlbertLayerImpl : public torch::nn::Module {
 public:
  explicit AlbertLayerImpl(const AlbertConfig& config);
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& additive_mask);

  torch::nn::LayerNorm full_layer_layer_norm{nullptr};
  AlbertAttention attention{nullptr};
  torch::nn::Linear ffn{nullptr};
  torch::nn::Linear ffn_output{nullptr};

 private:
  Activation activation_;
};
TORCH_MODULE(AlbertLayer);

// inner_group_num distinct layers run in sequence; the unit of cross-layer sharing.
class AlbertLayerGroupImpl : public torch::nn::Module {
 public:
  explicit AlbertLayerGroupImpl(const AlbertConfig& config);
  torch::Tensor forward(torch::Tensor hidden, const torch::Tensor& additive_mask);

  torch::nn::ModuleList albert_layers{nullptr};
};
TORCH_MODULE(AlbertLayerGroup);

// Projects E -> H, then applies num_hidden_layers layers, layer l using group l / layers_per_group.
class AlbertTransformerImpl : public torch::nn::Module {
 public:
  explicit AlbertTransformerImpl(const AlbertConfig& config);
  torch::Tensor forward(const torch::Tensor& embeddings, const torch::Tensor& additive_mask);

  torch::nn::Linear embedding_hidden_mapping_in{nullptr};
  torch::nn::ModuleList albert_layer_groups{nullptr};

 private:
  int64_t num_layers_;
  int64_t layers_per_group_;
};
TORCH_MODULE(AlbertTransformer);

struct AlbertOutput {
  torch::Tensor sequence_output;  // [B,L,H]
  torch::Tensor pooled_output;    // [B,H]: tanh(pooler(sequence_output[:, 0]))
};

// Several utterances packed into one row, each seen as if it were alone: its own positions (they
// restart per utterance) and its own attention block (a token attends only to tokens of the same
// block). Both [B,L] int64; undefined means one block per row and positions 0..L-1, i.e. plain HF.
struct PackedLayout {
  torch::Tensor position_ids;
  torch::Tensor attention_blocks;
};

// The additive attention mask AlbertModel feeds its encoder: [B,1,L,L] with blocks, [B,1,1,L] with
// padding only, undefined without either. Public so that another encoder over the same embeddings
// (ELECTRA's generator, train/electra.h) masks exactly alike.
torch::Tensor additive_attention_mask(const torch::Tensor& attention_mask,
                                      const PackedLayout& layout, torch::ScalarType dtype);

// Hugging Face's AlbertModel (with the pooling layer). Initialised as HF does.
class AlbertModelImpl : public torch::nn::Module {
 public:
  explicit AlbertModelImpl(AlbertConfig config);
  // input_ids [B,L] int64; attention_mask [B,L] (1 real token, 0 padding; any numeric or bool
  // dtype; undefined = no padding); token_type_ids [B,L] int64 or undefined (all segment 0).
  // embedding_extra: see AlbertEmbeddingsImpl::forward's `extra`.
  AlbertOutput forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask = {},
                       const torch::Tensor& token_type_ids = {}, const PackedLayout& layout = {},
                       const torch::Tensor& embedding_extra = {});

  const AlbertConfig& config() const { return config_; }

  AlbertEmbeddings embeddings{nullptr};
  AlbertTransformer encoder{nullptr};
  torch::nn::Linear pooler{nullptr};

 private:
  AlbertConfig config_;
};
TORCH_MODULE(AlbertModel);

// Re-draws encoder.embedding_hidden_mapping_in with std 1/sqrt(embedding_size), so that its output
// has unit scale like the LayerNorm before it. With HF's N(0, 0.02) that output is ~0.23 per unit
// and the first layer's attention scores (quadratic in it) start ~20x too small; in a PyTorch
// replica this kept masked-LM pretraining on its early plateau much longer (docs/RESULTS.md,
// issue 4). Only the starting point changes: the parameter layout stays HF's.
void init_embedding_projection_unit_scale(AlbertModelImpl& model);

// Sets encoder.embedding_hidden_mapping_in to the identity (weight I, bias 0): a BERT-shaped
// encoder (embedding_size = hidden_size, AlbertConfig::is_bert_preset) then starts exactly as BERT,
// which has no such projection. Throws std::invalid_argument when the sizes differ.
void init_embedding_projection_identity(AlbertModelImpl& model);

// How a freshly built encoder's position embeddings start (they are learned either way, and the
// parameter layout is HF's, so only the starting point differs).
enum class PositionInit {
  kNormal,      // N(0, initializer_range), as Hugging Face does
  kSinusoidal,  // the Transformer's sine/cosine table, scaled to std initializer_range
};
// "normal" | "sinusoidal"; throws std::invalid_argument otherwise.
PositionInit parse_position_init(const std::string& name);
// Re-draws embeddings.position_embeddings per `init`. Why sinusoidal: learned positions drawn at
// random carry no notion of "neighbour", and masked-LM pretraining from scratch then sits on the
// unigram plateau until each of the 64 rows has found one; a sine table makes p and p+1 related
// by a fixed rotation from step 0 (docs/RESULTS.md, issue 4: on a positional cloze task 54% masked
// accuracy at step 200 instead of 6%).
void init_position_embeddings(AlbertModelImpl& model, PositionInit init);

// The MLM head: decoder(LayerNorm(act(dense(h)))) + bias, where the decoder weight is the word
// embedding matrix. The head does not own that matrix: registering it here too would make
// libtorch's named_parameters()/parameters() list the tensor twice (they do not deduplicate, unlike
// PyTorch's), and an optimizer would then step it twice. The owner passes it to forward instead.
class AlbertMLMHeadImpl : public torch::nn::Module {
 public:
  explicit AlbertMLMHeadImpl(const AlbertConfig& config);
  // hidden [..., H], decoder_weight [V,E] -> logits [..., V].
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& decoder_weight);

  torch::nn::LayerNorm LayerNorm{nullptr};  // NOLINT: the HF checkpoint name
  torch::Tensor bias;                       // [V]; HF also saves it as decoder.bias
  torch::nn::Linear dense{nullptr};

 private:
  Activation activation_;
};
TORCH_MODULE(AlbertMLMHead);

// Sentence-order prediction: classifier(dropout(pooled)) -> [B,2].
class AlbertSOPHeadImpl : public torch::nn::Module {
 public:
  explicit AlbertSOPHeadImpl(const AlbertConfig& config);
  torch::Tensor forward(const torch::Tensor& pooled);

  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(AlbertSOPHead);

struct AlbertPreTrainingOutput {
  // [B,L,V], or [N,V] at the requested positions.
  torch::Tensor mlm_logits;
  torch::Tensor sop_logits;  // [B,2]
  AlbertOutput encoder;
};

// Hugging Face's AlbertForPreTraining: "albert", "predictions" (MLM, decoder tied to the word
// embeddings), "sop_classifier".
class AlbertForPreTrainingImpl : public torch::nn::Module, public TiedAliases {
 public:
  explicit AlbertForPreTrainingImpl(AlbertConfig config);
  // mlm_positions: optional int64 [N] indices into the flattened [B*L] positions (b * L + l); when
  // given, MLM logits are computed only there (the vocabulary projection dominates the cost), e.g.
  //   torch::nonzero(labels.view(-1) != -100).squeeze(1).
  AlbertPreTrainingOutput forward(const torch::Tensor& input_ids,
                                  const torch::Tensor& attention_mask = {},
                                  const torch::Tensor& token_type_ids = {},
                                  const torch::Tensor& mlm_positions = {},
                                  const PackedLayout& layout = {});

  // predictions.decoder.weight -> albert.embeddings.word_embeddings.weight,
  // predictions.decoder.bias -> predictions.bias.
  std::vector<std::pair<std::string, std::string>> tied_aliases() const override;

  const AlbertConfig& config() const { return config_; }

  AlbertModel albert{nullptr};
  AlbertMLMHead predictions{nullptr};
  AlbertSOPHead sop_classifier{nullptr};

 private:
  AlbertConfig config_;
};
TORCH_MODULE(AlbertForPreTraining);

}  // namespace jointnlu::train
