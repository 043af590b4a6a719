// Examples to padded tensors for any joint model (the ALBERT teacher, the BiLSTM student).
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/example.h"
#include "core/label_space.h"
#include "core/model_input.h"
#include "core/tokenizer.h"

namespace jointnlu::train {

// The label id the losses ignore: slot positions without a label ([CLS], [SEP], padding, pieces of
// a split character, slot keys unknown to the label space).
inline constexpr int64_t kIgnoreTag = -100;
// Gold domain / intent ids of labels unseen in training (LabelVocab::kUnknown): ignored by the
// losses, and counted as errors by the scorer.
inline constexpr int64_t kIgnoreClass = -1;

// A teacher's raw logits for one example: the soft targets of distillation.
struct SoftTargets {
  torch::Tensor domain;  // [D] float
  torch::Tensor intent;  // [I] float
  torch::Tensor slots;   // [L, T] float, one row per position of input.ids
};

// One example, tokenized and labelled once (training re-batches them every epoch).
struct EncodedExample {
  ModelInput input;
  int64_t domain = kIgnoreClass;
  int64_t intent = kIgnoreClass;
  std::vector<int64_t> slot_tags;   // per position of input.ids: a tag id or kIgnoreTag
  std::optional<SoftTargets> soft;  // distillation only; an augmented example has no gold labels
};

struct Batch {
  torch::Tensor input_ids;       // [B,L] int64, padded with the tokenizer's [PAD]
  torch::Tensor attention_mask;  // [B,L] int64, 1 for real tokens
  torch::Tensor domain;          // [B] int64, kIgnoreClass for unknown labels
  torch::Tensor intent;          // [B] int64
  torch::Tensor slot_tags;       // [B,L] int64, kIgnoreTag where there is no label
  // [B,L,F] float 0/1: lexicon feature f of position p (ModelInput::lexicon). Undefined when the
  // model reads no lexicon.
  torch::Tensor lexicon;
  // Distillation (undefined unless a member has soft targets): the teacher's logits, zero rows
  // for members without them, and float masks of which rows / positions carry soft targets
  // (positions: those the decoder reads, ModelInput::labelled).
  torch::Tensor soft_domain;     // [B,D]
  torch::Tensor soft_intent;     // [B,I]
  torch::Tensor soft_slots;      // [B,L,T]
  torch::Tensor soft_rows;       // [B]
  torch::Tensor soft_positions;  // [B,L]
  int64_t size() const { return input_ids.size(0); }
};

class Batcher {
 public:
  // max_length counts [CLS] and [SEP]. Keeps its own copies (a vocabulary is small). With a
  // lexicon, inputs carry its features (Batch::lexicon) and it is what input() matches against.
  Batcher(Tokenizer tokenizer, LabelSpace labels, std::size_t max_length,
          std::shared_ptr<const Lexicon> lexicon = nullptr);

  // `lexicon`: another lexicon of the same categories to match against (a training fold's).
  ModelInput input(const std::string& text, const Lexicon* lexicon = nullptr) const;
  EncodedExample encode(const Example& example, const Lexicon* lexicon = nullptr) const;
  // lexicon_of(i), when given, picks the lexicon example i is matched against.
  std::vector<EncodedExample> encode_all(
      const std::vector<Example>& examples,
      const std::function<const Lexicon*(std::size_t)>& lexicon_of = {}) const;

  // Pads to the longest member (not to max_length: short utterances stay cheap).
  Batch collate(const std::vector<const EncodedExample*>& members) const;
  // Inputs only (prediction): the label tensors are left undefined.
  Batch collate_inputs(const std::vector<const ModelInput*>& members) const;

  std::size_t max_length() const { return max_length_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  const LabelSpace& labels() const { return labels_; }
  const Lexicon* lexicon() const { return lexicon_.get(); }
  // Width of Batch::lexicon: 0 without a lexicon.
  std::size_t lexicon_features() const { return lexicon_ ? lexicon_->feature_count() : 0; }

 private:
  void collate_soft(const std::vector<const EncodedExample*>& members, Batch& b) const;

  Tokenizer tokenizer_;
  LabelSpace labels_;
  std::size_t max_length_;
  std::shared_ptr<const Lexicon> lexicon_;
};

// Per-class counts of the training labels (ignored labels not counted), for class weighting.
struct LabelCounts {
  std::vector<int64_t> domain;
  std::vector<int64_t> intent;
  std::vector<int64_t> tags;
};
LabelCounts count_labels(const std::vector<EncodedExample>& examples, const LabelSpace& labels);

}  // namespace jointnlu::train
