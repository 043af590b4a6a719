// What every joint model's config.json shares, teacher and student alike: the "jointnlu" section
// (label space, input length, tokenizer options, lexicon categories, training settings).
// Torch-free: the runtime reads it with the same code as training.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/label_space.h"
#include "core/tokenizer.h"

namespace jointnlu {

// The file beside config.json that holds a model's lexicon ("category<TAB>entry" lines,
// Lexicon::to_tsv).
inline constexpr std::string_view kLexiconFile = "lexicon.tsv";

struct JointSection {
  LabelSpace labels;
  std::size_t max_length = 0;  // longest input, [CLS] and [SEP] included (required, at least 3)
  TokenizerOptions tokenizer;  // lower_case and strip_accents
  nlohmann::json training;     // the training settings, for the record (not read back)
  // The lexicon's categories, in feature order (empty: the model reads no lexicon); 4 features
  // each (B/M/E/S). Its entries are in kLexiconFile beside config.json.
  std::vector<std::string> lexicon_categories;

  std::size_t lexicon_features() const { return 4 * lexicon_categories.size(); }
};

// The section as written under config.json's "jointnlu" key; `model` names the architecture.
nlohmann::json jointnlu_section(std::string_view model, const JointSection& section);

// Reads it back from a whole config.json. Throws std::invalid_argument naming the field (no
// section, a section of another model, bad or empty labels, max_length outside [3,
// max_positions], bad lexicon categories); callers prefix the file name.
JointSection parse_jointnlu_section(const nlohmann::json& config, std::string_view model,
                                    std::int64_t max_positions);

}  // namespace jointnlu
