// The BiLSTM student's one specification, shared by training (src/train/bilstm) and the runtime
// (src/runtime/student_model): its config.json (architecture, then the "jointnlu" section: labels,
// max_length, tokenizer, lexicon categories) and the exact list of tensors that architecture
// implies, so every writer and loader agrees on one layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/joint_section.h"

namespace jointnlu {

inline constexpr std::string_view kStudentModelType = "jointnlu-bilstm";

enum class Pooling { kMax, kAttention };
// max | attention; std::invalid_argument otherwise.
Pooling parse_pooling(std::string_view name);
const char* pooling_name(Pooling pooling);

// Everything config.json records about a student. The architecture fields have no tuning defaults
// here: the recipe (train/recipes/student_recipe.h) owns those, config.json records them.
struct StudentSpec : JointSection {
  std::size_t vocab_size = 0;      // embedding rows
  std::size_t embedding_size = 0;  // E
  std::size_t hidden_size = 0;     // H, per direction
  std::size_t num_layers = 0;
  Pooling pooling = Pooling::kMax;
  std::size_t attention_size = 0;  // attention pooling's hidden size (attention pooling only)
  double dropout = 0.0;            // training only: embeddings, between layers, before the heads
  std::int64_t pad_token_id = 0;
};

// config.json: "model_type": "jointnlu-bilstm", "architectures", the architecture keys (and
// "lexicon_features" = 4 per lexicon category, layer 0's extra inputs), the "jointnlu" section.
nlohmann::json student_config_json(const StudentSpec& spec);

// Parses a whole config.json. Throws ModelError naming `source` and the field: another model type,
// a size missing or outside core/model_limits.h, a bad section.
StudentSpec parse_student_config(const nlohmann::json& config, const std::string& source);

// config.json text as a JSON object; ModelError naming `source` when it is not one.
nlohmann::json parse_config_text(std::string_view text, const std::string& source);

// True when config.json declares model_type "jointnlu-bilstm" (no other validation).
bool is_student_config(const nlohmann::json& config);

// One tensor of the architecture. `quantizable`: a weight matrix that int8 export stores as I8
// with per-row scales (runtime/export.h); everything else stays F32.
struct TensorSpec {
  std::string name;
  std::vector<std::int64_t> shape;
  bool quantizable = false;
};

// Every tensor the spec implies, in a fixed order, named as train/bilstm.h registers them:
//   embeddings.word_embeddings.weight [V,E]
//   lstm.{weight_ih,weight_hh,bias_ih,bias_hh}_l{k}[_reverse]: [4H,in], [4H,H], [4H], [4H]; gates
//     i,f,g,o; in = E + lexicon_features() for layer 0, 2H above
//   attention.proj.weight [A,2H], .bias [A], attention.context.weight [1,A] (attention pooling)
//   {domain,intent,slot}_classifier.weight [n,2H], .bias [n]
std::vector<TensorSpec> student_tensors(const StudentSpec& spec);

}  // namespace jointnlu
