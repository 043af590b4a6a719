// The ALBERT teacher: an AlbertModel with domain and intent classifiers on the pooled output and a
// slot tagger on every token, and its checkpoint directory (Hugging Face layout plus a "jointnlu"
// section).
//
// Module tree (registered names are the checkpoint keys):
//   albert: AlbertModel (HF names, so a pretrained encoder loads as is)
//   domain_classifier [D,H], intent_classifier [I,H]: on dropout(sentence vector), the sentence
//     vector being HF's pooled [CLS] output or the mean of the final hidden states
//     (ClassifierPooling; the parameters are the same either way)
//   slot_classifier [T,H]: on dropout(sequence_output)
//   lexicon_projection [E,F] (no bias; only with a lexicon): the position's 0/1 lexicon features
//     projected to the embedding size and added to ALBERT's embedding sum before its LayerNorm.
//     Starts at zero, so a pretrained encoder starts out exactly as it was pretrained. Outside
//     `albert.`, so the encoder's tensors stay Hugging Face's.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/joint_section.h"
#include "core/label_space.h"
#include "core/tokenizer.h"
#include "train/albert.h"
#include "train/albert_config.h"
#include "train/checkpoint.h"
#include "train/encoder_families.h"
#include "train/joint_model.h"
#include "train/model_section.h"

namespace jointnlu::train {

// What the domain and intent classifiers read. kCls: HF's pooler, tanh(W h_[CLS]) - the usual
// choice, but masked-LM pretraining without a sentence-level objective never trains [CLS] or the
// pooler. kMean: the mean of the final hidden states over the real tokens ([CLS] and [SEP] too),
// which every pretrained token contributes to.
enum class ClassifierPooling { kCls, kMean };
// "cls" | "mean"; throws std::invalid_argument naming the accepted values.
ClassifierPooling parse_classifier_pooling(const std::string& name);
const char* classifier_pooling_name(ClassifierPooling pooling);

class JointAlbertImpl : public torch::nn::Module {
 public:
  // Head sizes come from the label space; head dropout is config.classifier_dropout_prob (as in
  // HF's AlbertForSequenceClassification / AlbertForTokenClassification).
  JointAlbertImpl(const AlbertConfig& config, const LabelSpace& labels,
                  ClassifierPooling pooling = ClassifierPooling::kCls,
                  int64_t lexicon_features = 0);
  // lexicon: [B,L,F] float (Batch::lexicon), required when built with lexicon_features > 0.
  JointLogits forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                      const torch::Tensor& lexicon = {});

  AlbertModel albert{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear domain_classifier{nullptr};
  torch::nn::Linear intent_classifier{nullptr};
  torch::nn::Linear slot_classifier{nullptr};
  torch::nn::Linear lexicon_projection{nullptr};

 private:
  ClassifierPooling pooling_;
  int64_t lexicon_features_ = 0;
};
TORCH_MODULE(JointAlbert);

// The model as the generic trainer / predictor see it.
JointModel as_joint_model(JointAlbert model);

// Everything config.json records about a teacher: the ALBERT keys, the pooling, and the
// "jointnlu" section every joint model shares (core/joint_section.h).
struct TeacherSpec : JointSection {
  AlbertConfig albert;
  ClassifierPooling pooling = ClassifierPooling::kCls;  // "classifier_pooling"; absent: cls
};

// HF ALBERT keys (AlbertConfig::to_json) + "architectures" + a "jointnlu" section with the label
// space, max_length, the tokenizer options and the training settings.
nlohmann::json teacher_config_json(const TeacherSpec& spec);
// Throws std::invalid_argument naming `source` and the problem (e.g. a plain ALBERT config with no
// "jointnlu" section: not a joint model).
TeacherSpec parse_teacher_config(const nlohmann::json& config, const std::string& source);

// The checkpoint directory's files: config.json, vocab.txt, tokenizer_config.json,
// model.safetensors
// (`tensors`).
CheckpointContents teacher_checkpoint(const TeacherSpec& spec, const Tokenizer& tokenizer,
                                      StateDict tensors, const Lexicon* lexicon = nullptr);

using LoadedTeacher = LoadedModel<TeacherSpec, JointAlbert>;
// Reads a directory written by teacher_checkpoint; the model is in eval mode. Every tensor must be
// present with its shape (CheckpointError otherwise).
LoadedTeacher load_teacher(const std::string& dir);

// A Hugging Face-layout ALBERT directory (AlbertModel, AlbertForPreTraining...) to start from.
struct PretrainedEncoder {
  AlbertConfig config;  // for BERT / ELECTRA: the ALBERT shape that computes the same encoder
  Tokenizer tokenizer;
  StateDict tensors;  // ALBERT names (BERT and ELECTRA ones renamed: train/encoder_families.h)
  std::string dir;
  EncoderFamily family = EncoderFamily::kAlbert;  // config.json's model_type
  std::vector<std::string> skipped;           // BERT / ELECTRA tensors outside the encoder (heads)
  bool has_pooler = true;                     // ELECTRA checkpoints have none
  std::map<std::string, std::string> source;  // renamed tensors: ALBERT name -> the checkpoint's
};
// Throws with the path when config.json, vocab.txt or model.safetensors is missing or invalid. An
// HF tokenizer_config.json, when present, decides lower-casing (do_lower_case). ALBERT, BERT
// (also RoBERTa-wwm, MacBERT) and ELECTRA checkpoints are read (train/encoder_families.h).
PretrainedEncoder read_pretrained(const std::string& dir);
// Loads the encoder into model.albert (the heads stay freshly initialised). Tensors the model has
// no place for (pretraining heads) are returned in the report's `unexpected`, not errors.
LoadReport load_pretrained(JointAlbert& model, const PretrainedEncoder& pretrained);

}  // namespace jointnlu::train
