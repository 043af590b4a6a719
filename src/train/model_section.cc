#include "train/model_section.h"

#include <filesystem>
#include <stdexcept>

#include "core/file_io.h"

namespace jointnlu::train {

namespace {
constexpr const char* kSection = "jointnlu";
}

nlohmann::json jointnlu_section(const std::string& model, const JointSection& s) {
  nlohmann::json j = {{"model", model},
                      {"labels", s.labels.to_json()},
                      {"max_length", s.max_length},
                      {"tokenizer", {{"lower_case", s.tokenizer.lower_case}}},
                      {"training", s.training.is_null() ? nlohmann::json::object() : s.training}};
  if (!s.lexicon_categories.empty())
    j["lexicon"] = {
        {"categories", s.lexicon_categories}, {"features", "BMES"}, {"entries", kLexiconFile}};
  return j;
}

JointSection parse_jointnlu_section(const nlohmann::json& config, const std::string& model,
                                    int64_t max_positions) {
  const auto section = config.find(kSection);
  if (section == config.end() || !section->is_object())
    throw std::invalid_argument(
        "no \"jointnlu\" section: not a joint model (a plain ALBERT? use it as a teacher's init)");
  if (section->value("model", "") != model)
    throw std::invalid_argument("model type " + section->value("model", nlohmann::json()).dump() +
                                " is not '" + model + "'");
  JointSection s;
  s.labels = LabelSpace::from_json(section->at("labels"));
  const auto max_length = section->value("max_length", int64_t{0});
  if (max_length < 3 || max_length > max_positions)
    throw std::invalid_argument("max_length " + std::to_string(max_length) + " outside [3, " +
                                std::to_string(max_positions) + "]");
  s.max_length = static_cast<std::size_t>(max_length);
  if (const auto t = section->find("tokenizer"); t != section->end() && t->is_object())
    s.tokenizer.lower_case = t->value("lower_case", true);
  s.training = section->value("training", nlohmann::json::object());
  if (const auto lex = section->find("lexicon"); lex != section->end()) {
    if (!lex->is_object() || !lex->contains("categories") || !lex->at("categories").is_array())
      throw std::invalid_argument("\"lexicon\" must be an object with a \"categories\" array");
    for (const auto& c : lex->at("categories"))
      s.lexicon_categories.push_back(c.get<std::string>());
    if (lex->value("features", "BMES") != "BMES")
      throw std::invalid_argument("\"lexicon.features\" must be \"BMES\"");
    // Validates the names (unique, non-empty, at most kMaxLexiconCategories).
    (void)Lexicon(s.lexicon_categories);
  }
  return s;
}

std::shared_ptr<Lexicon> read_model_lexicon(const std::string& dir,
                                            const std::vector<std::string>& categories) {
  if (categories.empty()) return nullptr;
  const std::string path = (std::filesystem::path(dir) / kLexiconFile).string();
  auto lexicon = std::make_shared<Lexicon>(Lexicon::from_tsv(categories, read_file(path), path));
  return lexicon;
}

CheckpointContents joint_checkpoint(const nlohmann::json& config, const Tokenizer& tokenizer,
                                    StateDict tensors, const Lexicon* lexicon) {
  CheckpointContents c;
  if (lexicon) c.files[kLexiconFile] = lexicon->to_tsv();
  c.files["config.json"] = config.dump(2) + "\n";
  c.files["vocab.txt"] = tokenizer.vocab_text();
  // What transformers' AutoTokenizer reads to rebuild the same tokenizer from the directory.
  c.files["tokenizer_config.json"] =
      nlohmann::json{{"do_lower_case", tokenizer.options().lower_case},
                     {"tokenizer_class", "BertTokenizer"}}
          .dump(2) +
      "\n";
  c.tensors = std::move(tensors);
  c.metadata["format"] = "pt";  // what transformers expects of a PyTorch safetensors file
  return c;
}

}  // namespace jointnlu::train
