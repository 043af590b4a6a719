// A tiny BiLSTM student checkpoint directory with random weights, written the way the training side
// writes one (config.json + vocab.txt + model.safetensors; tensor names and layout of the spec in
// core/student_spec.h, spelled out again here on purpose), for the runtime and CLI tests.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/file_io.h"
#include "core/label_space.h"
#include "core/safetensors.h"
#include "data/dataset.h"
#include "data/vocab_builder.h"
#include "test_util.h"

namespace jointnlu::testing {

struct StudentSpec {
  std::size_t embedding_size = 16;
  std::size_t hidden_size = 12;
  std::size_t num_layers = 1;
  std::string pooling = "max";  // max | attention
  std::size_t attention_size = 10;
  std::size_t max_length = 24;
  std::uint64_t seed = 7;
  float range = 0.5f;  // weights uniform in [-range, range]
};

struct Tensor {
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

struct StudentFiles {
  std::string dir;
  LabelSpace labels;
  std::vector<std::string> vocab;
  std::map<std::string, Tensor> tensors;
  std::vector<std::string> texts;  // the demo training texts (every character is in the vocabulary)
};

// Labels and vocabulary of the bundled demo data (read once).
inline const std::vector<Example>& demo_examples() {
  static const auto examples = read_examples(source_path("data/demo/train.json"));
  return examples;
}

inline StudentFiles write_student(const std::string& dir, const StudentSpec& spec = {}) {
  StudentFiles s;
  s.dir = dir;
  s.labels = LabelSpace::from_examples(demo_examples());
  VocabBuilder builder;
  for (const auto& e : demo_examples()) {
    builder.force_text(e.text);
    s.texts.push_back(e.text);
  }
  s.vocab = builder.build();
  ensure_coverage(s.vocab, s.texts);

  std::mt19937_64 rng(spec.seed);
  std::uniform_real_distribution<float> uniform(-spec.range, spec.range);
  const auto add = [&](const std::string& name, std::vector<std::int64_t> shape) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    Tensor t{std::move(shape), std::vector<float>(static_cast<std::size_t>(n))};
    for (auto& v : t.values) v = uniform(rng);
    s.tensors[name] = std::move(t);
  };
  const auto v = static_cast<std::int64_t>(s.vocab.size());
  const auto e = static_cast<std::int64_t>(spec.embedding_size);
  const auto h = static_cast<std::int64_t>(spec.hidden_size);
  add("embeddings.word_embeddings.weight", {v, e});
  for (std::size_t k = 0; k < spec.num_layers; ++k) {
    for (const std::string suffix : {"", "_reverse"}) {
      const std::string l = std::to_string(k) + suffix;
      add("lstm.weight_ih_l" + l, {4 * h, k == 0 ? e : 2 * h});
      add("lstm.weight_hh_l" + l, {4 * h, h});
      add("lstm.bias_ih_l" + l, {4 * h});
      add("lstm.bias_hh_l" + l, {4 * h});
    }
  }
  if (spec.pooling == "attention") {
    const auto a = static_cast<std::int64_t>(spec.attention_size);
    add("attention.proj.weight", {a, 2 * h});
    add("attention.proj.bias", {a});
    add("attention.context.weight", {1, a});
  }
  add("domain_classifier.weight", {s.labels.domains().size(), 2 * h});
  add("domain_classifier.bias", {s.labels.domains().size()});
  add("intent_classifier.weight", {s.labels.intents().size(), 2 * h});
  add("intent_classifier.bias", {s.labels.intents().size()});
  add("slot_classifier.weight", {s.labels.tags().size(), 2 * h});
  add("slot_classifier.bias", {s.labels.tags().size()});

  nlohmann::json config = {{"model_type", "jointnlu-bilstm"},
                           {"architectures", {"JointBiLSTM"}},
                           {"vocab_size", s.vocab.size()},
                           {"embedding_size", spec.embedding_size},
                           {"hidden_size", spec.hidden_size},
                           {"num_layers", spec.num_layers},
                           {"pooling", spec.pooling},
                           {"attention_size", spec.attention_size},
                           {"dropout", 0.1},
                           {"pad_token_id", 0},
                           {"jointnlu",
                            {{"labels", s.labels.to_json()},
                             {"max_length", spec.max_length},
                             {"tokenizer", {{"lower_case", true}}},
                             {"training", {{"seed", spec.seed}}}}}};
  write_file_atomic(dir + "/config.json", config.dump(2));
  std::string vocab_text;
  for (const auto& t : s.vocab) vocab_text += t + "\n";
  write_file_atomic(dir + "/vocab.txt", vocab_text);
  write_file_atomic(dir + "/tokenizer_config.json", R"({"do_lower_case": true})");
  std::vector<TensorToWrite> out;
  for (const auto& [name, t] : s.tensors)
    out.push_back({name, DType::kF32, t.shape, t.values.data(), t.values.size() * sizeof(float)});
  write_safetensors(dir + "/model.safetensors", out);
  return s;
}

}  // namespace jointnlu::testing
