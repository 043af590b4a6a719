// jointnlu::Parser (include/jointnlu/jointnlu.h) over the runtime's StudentParser.
#include <nlohmann/json.hpp>
#include <thread>

#include "core/file_io.h"
#include "core/safetensors.h"
#include "core/utf8.h"
#include "jointnlu/jointnlu.h"
#include "runtime/model_lexicon.h"
#include "runtime/student_parser.h"

namespace jointnlu {

Error::~Error() = default;

struct Parser::Impl {
  runtime::StudentParser parser;
  ParserOptions options;
  int threads = 1;
};

namespace {

// Internal exceptions to the API's single type, keeping the messages (they name file and tensor).
template <typename F>
auto translate(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const runtime::ModelError& e) {
    throw Error(Error::Code::kInvalidModel, e.what());
  } catch (const SafetensorsError& e) {
    throw Error(Error::Code::kInvalidModel, e.what());
  } catch (const IoError& e) {
    throw Error(Error::Code::kIo, e.what());
  } catch (const std::invalid_argument& e) {
    throw Error(Error::Code::kInvalidInput, e.what());
  } catch (const std::exception& e) {
    throw Error(Error::Code::kInternal, e.what());
  }
}

// `where` prefixes the message (a batch names the text's index).
void check_input(std::string_view text, std::size_t max_chars, const std::string& where = "") {
  if (const auto problem = check_text(text, max_chars))
    throw Error(Error::Code::kInvalidInput, where + *problem);
}

ParseResult to_result(std::string_view text, const Prediction& p) {
  ParseResult r;
  r.text = std::string(text);
  r.domain = p.frame.domain;
  r.intent = p.frame.intent;
  r.domain_confidence = p.domain_score;
  r.intent_confidence = p.intent_score;
  r.slots.reserve(p.slots.size());
  for (const auto& s : p.slots)
    r.slots.push_back({s.span.key, s.value, s.span.begin, s.span.end, s.score});
  r.truncated = p.truncated;
  return r;
}

}  // namespace

Parser::Parser(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Parser::Parser(Parser&&) noexcept = default;
Parser& Parser::operator=(Parser&&) noexcept = default;
Parser::~Parser() = default;

Parser Parser::open(const std::string& path, const ParserOptions& options) {
  return translate([&] {
    auto impl = std::make_unique<Impl>(Impl{runtime::StudentParser::open(path), options, 1});
    if (!options.lexicons.empty()) {
      Lexicon* lexicon = impl->parser.model().lexicon();
      if (!lexicon)
        throw runtime::ModelError(path + ": the model reads no lexicon; lexicons cannot add to it");
      runtime::add_lexicon_entries(*lexicon, runtime::read_lexicon_additions(options.lexicons),
                                   path);
    }
    impl->threads = options.threads > 0
                        ? options.threads
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return Parser(std::move(impl));
  });
}

ParseResult Parser::parse(std::string_view text) const {
  check_input(text, impl_->options.max_chars);
  return translate([&] { return to_result(text, impl_->parser.parse(text)); });
}

std::vector<ParseResult> Parser::parse_batch(const std::vector<std::string>& texts) const {
  for (std::size_t i = 0; i < texts.size(); ++i)
    check_input(texts[i], impl_->options.max_chars, "text " + std::to_string(i) + ": ");
  return translate([&] {
    const auto predictions = impl_->parser.parse_batch(texts, impl_->threads);
    std::vector<ParseResult> out;
    out.reserve(texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i)
      out.push_back(to_result(texts[i], predictions[i]));
    return out;
  });
}

namespace {

// The model's lexicon and the id of `category` in it, or Error kInvalidInput.
std::pair<Lexicon*, int> lexicon_category(const runtime::StudentParser& parser,
                                          std::string_view category) {
  Lexicon* lexicon = parser.model().lexicon();
  if (!lexicon)
    throw Error(Error::Code::kInvalidInput,
                parser.model().path() + ": the model was trained without a lexicon");
  const int id = lexicon->category_id(category);
  if (id < 0) {
    std::string names;
    for (const auto& n : lexicon->categories()) names += (names.empty() ? "" : ", ") + n;
    throw Error(Error::Code::kInvalidInput, "the model has no lexicon category '" +
                                                std::string(category) +
                                                "' (its categories: " + names + ")");
  }
  return {lexicon, id};
}

}  // namespace

void Parser::add_lexicon_entries(std::string_view category,
                                 const std::vector<std::string>& entries) const {
  // Not a structured binding: lambdas may capture those only from clang 16 on.
  const auto found = lexicon_category(impl_->parser, category);
  translate([&] { found.first->add(found.second, entries); });
}

std::size_t Parser::remove_lexicon_entries(std::string_view category,
                                           const std::vector<std::string>& entries) const {
  const auto found = lexicon_category(impl_->parser, category);
  return translate([&] { return found.first->remove(found.second, entries); });
}

ModelInfo Parser::info() const {
  const auto& m = impl_->parser.model();
  const auto& c = m.config();
  ModelInfo info;
  info.path = m.path();
  info.weights = m.weight_type() == runtime::WeightType::kInt8 ? "int8" : "fp32";
  info.pooling = pooling_name(c.pooling);
  info.hidden_size = c.hidden_size;
  info.num_layers = c.num_layers;
  info.vocab_size = c.vocab_size;
  info.max_length = c.max_length;
  info.domains = static_cast<std::size_t>(c.labels.domains().size());
  info.intents = static_cast<std::size_t>(c.labels.intents().size());
  info.slot_keys = c.labels.slot_keys().size();
  info.lexicon_categories = c.lexicon_categories;
  if (const Lexicon* lexicon = m.lexicon()) info.lexicon_entries = lexicon->size();
  return info;
}

const ParserOptions& Parser::options() const { return impl_->options; }

std::string to_json(const ParseResult& r) {
  nlohmann::json slots = nlohmann::json::array();
  for (const auto& s : r.slots)
    slots.push_back({{"key", s.key},
                     {"value", s.value},
                     {"start", s.start},
                     {"end", s.end},
                     {"confidence", s.confidence}});
  nlohmann::ordered_json j;
  j["text"] = r.text;
  j["domain"] = r.domain;
  j["intent"] = r.intent;
  j["domain_confidence"] = r.domain_confidence;
  j["intent_confidence"] = r.intent_confidence;
  j["truncated"] = r.truncated;
  j["slots"] = slots;
  return j.dump();
}

#define JOINTNLU_STR2(x) #x
#define JOINTNLU_STR(x) JOINTNLU_STR2(x)
const char* version() {
  return JOINTNLU_STR(JOINTNLU_VERSION_MAJOR) "." JOINTNLU_STR(
      JOINTNLU_VERSION_MINOR) "." JOINTNLU_STR(JOINTNLU_VERSION_PATCH);
}

std::string to_json(const ModelInfo& i) {
  nlohmann::ordered_json j;
  j["path"] = i.path;
  j["weights"] = i.weights;
  j["pooling"] = i.pooling;
  j["hidden_size"] = i.hidden_size;
  j["num_layers"] = i.num_layers;
  j["vocab_size"] = i.vocab_size;
  j["max_length"] = i.max_length;
  j["domains"] = i.domains;
  j["intents"] = i.intents;
  j["slot_keys"] = i.slot_keys;
  j["lexicon_categories"] = i.lexicon_categories;
  j["lexicon_entries"] = i.lexicon_entries;
  return j.dump();
}

}  // namespace jointnlu
