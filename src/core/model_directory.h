// A model directory as every loader reads it: the teacher, the student and the pretrained encoder
// on the training side, the student in the runtime. One place for the file names (Hugging Face's:
// config.json, vocab.txt, tokenizer_config.json, model.safetensors, plus our lexicon.tsv) and for
// the checks between them, each error naming its file.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/lexicon.h"
#include "core/tokenizer.h"

namespace jointnlu {

// The tokenizer_config.json that makes transformers' AutoTokenizer rebuild this tokenizer (and that
// hf_tokenizer_options reads back).
nlohmann::json hf_tokenizer_config(const TokenizerOptions& options);

class ModelDirectory {
 public:
  // Throws IoError when `dir` is not a directory; `what` names the kind in that message.
  explicit ModelDirectory(std::string dir, std::string_view what = "model directory");

  const std::string& dir() const { return dir_; }
  std::string path(std::string_view file) const;  // dir/file
  std::string config_path() const { return path("config.json"); }
  std::string weights_path() const { return path("model.safetensors"); }

  // config.json, parsed. IoError when missing, ModelError naming it when malformed.
  nlohmann::json config() const;
  // vocab.txt read with `options`. ModelError naming both files when it does not hold exactly
  // `vocab_size` tokens (config.json's).
  Tokenizer tokenizer(const TokenizerOptions& options, std::size_t vocab_size) const;
  // Lower-casing and accent stripping as a Hugging Face tokenizer_config.json says (do_lower_case,
  // strip_accents: null or absent follows do_lower_case, as in HF); without that file, the
  // defaults (uncased, like HF's Chinese vocabularies and ours). ModelError naming the file for a
  // setting jointnlu's tokenizer does not implement (tokenize_chinese_chars or do_basic_tokenize
  // false: it always splits CJK characters and punctuation, as Chinese BERT vocabularies expect).
  TokenizerOptions hf_tokenizer_options() const;
  // The lexicon whose entries are in lexicon.tsv, for the categories config.json names; nullptr
  // when it names none. IoError / DataError naming the file.
  std::shared_ptr<Lexicon> lexicon(const std::vector<std::string>& categories) const;

 private:
  std::string dir_;
};

}  // namespace jointnlu
