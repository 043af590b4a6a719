// The files every joint model's checkpoint directory holds beside the weights, teacher and student
// alike: config.json, vocab.txt, tokenizer_config.json (as Hugging Face reads them) and the
// lexicon's entries. The "jointnlu" section of config.json is core/joint_section.h; reading a
// directory back is core/model_directory.h.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/joint_section.h"
#include "core/lexicon.h"
#include "core/tokenizer.h"
#include "train/checkpoint.h"

namespace jointnlu::train {

// config.json, vocab.txt and tokenizer_config.json plus the weights, ready for
// write_checkpoint_dir. With a lexicon, its entries go to kLexiconFile.
CheckpointContents joint_checkpoint(const nlohmann::json& config, const Tokenizer& tokenizer,
                                    StateDict tensors, const Lexicon* lexicon = nullptr);

}  // namespace jointnlu::train
