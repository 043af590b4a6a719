#include "core/model_directory.h"

#include <filesystem>

#include "core/error.h"
#include "core/file_io.h"
#include "core/joint_section.h"

namespace jointnlu {

namespace fs = std::filesystem;

ModelDirectory::ModelDirectory(std::string dir, std::string_view what) : dir_(std::move(dir)) {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) throw IoError(dir_, "not a " + std::string(what));
}

std::string ModelDirectory::path(std::string_view file) const {
  return (fs::path(dir_) / file).string();
}

nlohmann::json ModelDirectory::config() const {
  const std::string file = config_path();
  const std::string text = read_file(file);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(file + ": malformed JSON: " + e.what());
  }
}

Tokenizer ModelDirectory::tokenizer(const TokenizerOptions& options, std::size_t vocab_size) const {
  const std::string file = path("vocab.txt");
  Tokenizer tokenizer = Tokenizer::from_vocab_file(file, options);
  if (tokenizer.vocab_size() != vocab_size)
    throw ModelError(file + " has " + std::to_string(tokenizer.vocab_size()) + " tokens, " +
                     config_path() + " says vocab_size " + std::to_string(vocab_size));
  return tokenizer;
}

TokenizerOptions ModelDirectory::hf_tokenizer_options() const {
  TokenizerOptions options;
  const std::string file = path("tokenizer_config.json");
  std::error_code ec;
  if (!fs::exists(file, ec)) return options;
  try {
    const auto j = nlohmann::json::parse(read_file(file));
    if (j.contains("do_lower_case")) options.lower_case = j.at("do_lower_case").get<bool>();
    if (const auto it = j.find("strip_accents"); it != j.end() && !it->is_null())
      options.strip_accents = it->get<bool>();
    for (const char* key : {"tokenize_chinese_chars", "do_basic_tokenize"})
      if (const auto it = j.find(key); it != j.end() && !it->is_null() && !it->get<bool>())
        throw ModelError(file + ": " + key +
                         " false is not supported (jointnlu's tokenizer always splits CJK "
                         "characters and punctuation, as Chinese BERT vocabularies expect)");
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(file + ": " + e.what());
  }
  return options;
}

nlohmann::json hf_tokenizer_config(const TokenizerOptions& options) {
  nlohmann::json j = {{"tokenizer_class", "BertTokenizer"}, {"do_lower_case", options.lower_case}};
  if (options.strip_accents) j["strip_accents"] = *options.strip_accents;
  return j;
}

std::shared_ptr<Lexicon> ModelDirectory::lexicon(const std::vector<std::string>& categories) const {
  if (categories.empty()) return nullptr;
  const std::string file = path(kLexiconFile);
  return std::make_shared<Lexicon>(Lexicon::from_tsv(categories, read_file(file), file));
}

}  // namespace jointnlu
