// Hugging Face encoder checkpoints other than ALBERT, read as the ALBERT encoder that computes the
// same function, so that every teacher (and the checkpoint it saves) keeps one module tree.
//
// BERT (bert-base-chinese, chinese-roberta-wwm-ext, MacBERT: `model_type` "bert") is ALBERT with
// one parameter group per layer, one layer per group, and embeddings as wide as the layers: its
// embeddings feed the first layer directly, which here is an identity embedding_hidden_mapping_in
// (exact: x·I + 0 = x in floating point). ELECTRA discriminators (`model_type` "electra") are the
// same with ELECTRA's `embeddings_project` as that mapping when the embeddings are narrower.
// Per layer, HF's names map one to one:
//   encoder.layer.N.attention.self.{query,key,value}  ->
//   ...albert_layers.0.attention.{query,key,value}
//   encoder.layer.N.attention.output.{dense,LayerNorm} ->
//   ...albert_layers.0.attention.{dense,LayerNorm} encoder.layer.N.intermediate.dense ->
//   ...albert_layers.0.ffn encoder.layer.N.output.dense                      ->
//   ...albert_layers.0.ffn_output encoder.layer.N.output.LayerNorm                  ->
//   ...albert_layers.0.full_layer_layer_norm
// with albert_layer_groups.N in place of layer.N. Names may carry the model prefix ("bert.",
// "electra.") or not, and converted TensorFlow checkpoints' LayerNorm.gamma / .beta are read as
// .weight / .bias. The computation is the same post-LayerNorm transformer in all three (HF's
// BertLayer, ElectraLayer and AlbertLayer), with hidden_act taken from the config.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "train/albert_config.h"
#include "train/state_dict.h"

namespace jointnlu::train {

enum class EncoderFamily { kAlbert, kBert, kElectra };

// From config.json's "model_type": "albert" (or none: our own older checkpoints), "bert" (which
// chinese-roberta-wwm-ext and MacBERT declare too), "electra". Throws std::invalid_argument naming
// the type and the supported ones (a real RoBERTa layout, "roberta", offsets its positions).
EncoderFamily encoder_family(const nlohmann::json& config);
const char* family_name(EncoderFamily family);

// A BERT or ELECTRA config.json as the equivalent AlbertConfig (embedding_size: ELECTRA's, or
// hidden_size; num_hidden_groups = num_hidden_layers; inner_group_num = 1). Keys as in
// AlbertConfig::from_json; throws std::invalid_argument naming the key.
AlbertConfig albert_config_of(const nlohmann::json& config, EncoderFamily family);

struct ConvertedEncoder {
  StateDict tensors;                 // ALBERT names under "albert."
  std::vector<std::string> skipped;  // the checkpoint's names with no place in an encoder (heads)
  bool has_pooler = false;           // BERT's pooler.dense was there (ELECTRA has none)
  std::map<std::string, std::string> source;  // ALBERT name -> the checkpoint's, for errors
};

// Renames a BERT or ELECTRA checkpoint's encoder tensors to ALBERT's (see above). Tensors of the
// MLM / generator / discriminator heads and the position_ids buffer are skipped and listed. A
// missing projection of a BERT-shaped encoder (embedding width = hidden width) becomes the
// identity. Shapes are checked later, by load_state_dict, which names the tensor and both shapes.
ConvertedEncoder albert_tensors_of(const StateDict& tensors, EncoderFamily family,
                                   const AlbertConfig& config);

}  // namespace jointnlu::train
