// What every joint model's checkpoint directory shares, teacher and student alike: the "jointnlu"
// section of config.json (label space, input length, tokenizer options, training settings) and the
// files beside the weights (vocab.txt, tokenizer_config.json as Hugging Face reads them).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/label_space.h"
#include "core/lexicon.h"
#include "core/tokenizer.h"
#include "train/checkpoint.h"

namespace jointnlu::train {

struct JointSection {
  LabelSpace labels;
  std::size_t max_length = 64;  // longest input, [CLS] and [SEP] included
  TokenizerOptions tokenizer;   // only lower_case is recorded
  nlohmann::json training;      // the training settings, for the record (not read back)
  // The lexicon's categories, in feature order (empty: the model reads no lexicon). Its entries
  // are in kLexiconFile beside config.json.
  std::vector<std::string> lexicon_categories;
};

// The entries of a model's lexicon ("category<TAB>entry" lines, Lexicon::to_tsv).
inline constexpr const char* kLexiconFile = "lexicon.tsv";

// The section as written under config.json's "jointnlu" key; `model` names the architecture.
nlohmann::json jointnlu_section(const std::string& model, const JointSection& section);
// Reads it back from a whole config.json. Throws std::invalid_argument (no section, another model
// type, bad labels, max_length outside [3, max_positions]); callers prefix the file name.
JointSection parse_jointnlu_section(const nlohmann::json& config, const std::string& model,
                                    int64_t max_positions);

// config.json, vocab.txt and tokenizer_config.json plus the weights, ready for
// write_checkpoint_dir. With a lexicon, its entries go to kLexiconFile.
CheckpointContents joint_checkpoint(const nlohmann::json& config, const Tokenizer& tokenizer,
                                    StateDict tensors, const Lexicon* lexicon = nullptr);

// The lexicon of a model directory whose section names `categories` (nullptr when it names none).
// Throws IoError / DataError naming the file.
std::shared_ptr<Lexicon> read_model_lexicon(const std::string& dir,
                                            const std::vector<std::string>& categories);

}  // namespace jointnlu::train
