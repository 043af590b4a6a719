// The toy utterances (toy_data.h) encoded for a small ALBERT teacher: what the teacher and the
// data-parallel tests train on.
#pragma once

#include <cstdint>
#include <vector>

#include "toy_data.h"
#include "train/batching.h"
#include "train/joint_albert.h"

namespace jointnlu::testing {

// A 32-wide, 2-layer ALBERT without encoder dropout; `classifier_dropout` decides whether a
// random stream is in play at all.
inline train::AlbertConfig toy_albert_config(int64_t vocab_size, double classifier_dropout) {
  train::AlbertConfig c;
  c.vocab_size = vocab_size;
  c.embedding_size = 16;
  c.hidden_size = 32;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.intermediate_size = 64;
  c.max_position_embeddings = 32;
  c.hidden_dropout_prob = 0.0;
  c.attention_probs_dropout_prob = 0.0;
  c.classifier_dropout_prob = classifier_dropout;
  c.validate();
  return c;
}

struct ToyTeacherData {
  std::vector<Record> records = toy_records();
  std::vector<Example> examples = align_all(records);
  LabelSpace labels = LabelSpace::from_examples(examples);
  Tokenizer tokenizer = toy_tokenizer(records);
  train::Batcher batcher{tokenizer, labels, 24};
  std::vector<train::EncodedExample> encoded = batcher.encode_all(examples);
  train::TeacherSpec spec;

  explicit ToyTeacherData(double classifier_dropout) {
    spec.albert =
        toy_albert_config(static_cast<int64_t>(tokenizer.vocab_size()), classifier_dropout);
    spec.labels = labels;
    spec.max_length = 24;
  }
};

}  // namespace jointnlu::testing
