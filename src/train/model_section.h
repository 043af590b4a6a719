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
#include "core/model_directory.h"
#include "core/safetensors.h"
#include "core/tokenizer.h"
#include "train/checkpoint.h"
#include "train/state_dict.h"

namespace jointnlu::train {

// config.json, vocab.txt and tokenizer_config.json plus the weights, ready for
// write_checkpoint_dir. With a lexicon, its entries go to kLexiconFile.
CheckpointContents joint_checkpoint(const nlohmann::json& config, const Tokenizer& tokenizer,
                                    StateDict tensors, const Lexicon* lexicon = nullptr);

// A joint model read back from its checkpoint directory.
template <class Spec, class Model>
struct LoadedModel {
  Spec spec;
  Tokenizer tokenizer;
  Model model;                       // in eval mode
  std::shared_ptr<Lexicon> lexicon;  // nullptr without one
};

// The loading teacher and student share: the spec parsed from config.json by `parse`, the
// vocabulary checked against the spec's (`vocab_size`), the module built by `make` and filled from
// model.safetensors under `options`, the lexicon of the spec's categories.
template <class Spec, class Model, class Parse, class VocabSize, class Make>
LoadedModel<Spec, Model> load_joint_model(const std::string& dir, Parse parse, VocabSize vocab_size,
                                          Make make, const LoadOptions& options) {
  const ModelDirectory d(dir);
  Spec spec = parse(d.config(), d.config_path());
  Tokenizer tokenizer = d.tokenizer(spec.tokenizer, vocab_size(spec));
  Model model = make(spec);
  load_state_dict(*model, read_safetensors(d.weights_path()), options);
  model->eval();
  auto lexicon = d.lexicon(spec.lexicon_categories);
  return {std::move(spec), std::move(tokenizer), std::move(model), std::move(lexicon)};
}

}  // namespace jointnlu::train
