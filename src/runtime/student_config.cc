#include "runtime/student_config.h"

#include <map>

#include "core/lexicon.h"
#include "core/model_limits.h"

namespace jointnlu::runtime {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& reason) {
  throw ModelError(source + ": " + reason);
}

// A positive integer no larger than `limit` (core/model_limits.h).
std::size_t positive(const json& j, const char* field, const std::string& source,
                     std::int64_t limit) {
  if (!j.contains(field) || !j[field].is_number_integer() || j[field].get<std::int64_t>() <= 0)
    fail(source, std::string("\"") + field + "\" must be a positive integer");
  const auto v = j[field].get<std::int64_t>();
  if (v > limit) fail(source, over_limit(std::string("\"") + field + "\"", v, limit));
  return static_cast<std::size_t>(v);
}

}  // namespace

bool is_student_config(const std::string& text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.contains("model_type") && j["model_type"] == kStudentModelType;
}

StudentConfig parse_student_config(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(source, std::string("malformed JSON: ") + e.what());
  }
  if (!j.is_object()) fail(source, "the config must be a JSON object");
  if (!j.contains("model_type") || j["model_type"] != kStudentModelType)
    fail(source, "\"model_type\" must be \"" + std::string(kStudentModelType) +
                     "\" (the BiLSTM student), found " +
                     (j.contains("model_type") ? j["model_type"].dump() : "nothing"));
  StudentConfig c;
  c.vocab_size = positive(j, "vocab_size", source, kMaxModelVocab);
  c.embedding_size = positive(j, "embedding_size", source, kMaxModelWidth);
  c.hidden_size = positive(j, "hidden_size", source, kMaxModelWidth);
  c.num_layers = positive(j, "num_layers", source, kMaxModelLayers);
  const std::string pooling = j.value("pooling", std::string("max"));
  if (pooling == "max") {
    c.pooling = Pooling::kMax;
  } else if (pooling == "attention") {
    c.pooling = Pooling::kAttention;
    c.attention_size = positive(j, "attention_size", source, kMaxModelWidth);
  } else {
    fail(source, "\"pooling\" must be \"max\" or \"attention\", found \"" + pooling + "\"");
  }
  if (j.contains("pad_token_id") && j["pad_token_id"].is_number_integer())
    c.pad_token_id = j["pad_token_id"].get<int>();
  if (!j.contains("jointnlu") || !j["jointnlu"].is_object())
    fail(source, "missing the \"jointnlu\" section (labels, max_length, tokenizer)");
  const json& nlu = j["jointnlu"];
  if (!nlu.contains("labels")) fail(source, "missing \"jointnlu.labels\"");
  try {
    c.labels = LabelSpace::from_json(nlu["labels"]);
  } catch (const std::exception& e) {
    fail(source, std::string("\"jointnlu.labels\": ") + e.what());
  }
  if (c.labels.domains().size() == 0 || c.labels.intents().size() == 0 || c.labels.pairs().empty())
    fail(source, "\"jointnlu.labels\" has no domains, intents or (domain, intent) pairs");
  if (nlu.contains("max_length")) {
    c.max_length = positive(nlu, "max_length", source, kMaxModelPositions);
    if (c.max_length < 3) fail(source, "\"jointnlu.max_length\" must be at least 3");
  }
  if (nlu.contains("lexicon")) {
    const json& lex = nlu["lexicon"];
    if (!lex.is_object() || !lex.contains("categories") || !lex["categories"].is_array())
      fail(source, "\"jointnlu.lexicon\" must be an object with a \"categories\" array");
    if (lex.value("features", std::string("BMES")) != "BMES")
      fail(source, "\"jointnlu.lexicon.features\" must be \"BMES\"");
    for (const auto& name : lex["categories"]) {
      if (!name.is_string()) fail(source, "\"jointnlu.lexicon.categories\" must hold strings");
      c.lexicon_categories.push_back(name.get<std::string>());
    }
    try {
      (void)Lexicon(c.lexicon_categories);  // unique, non-empty, at most 64 names
    } catch (const std::invalid_argument& e) {
      fail(source, std::string("\"jointnlu.lexicon.categories\": ") + e.what());
    }
  }
  const std::size_t declared =
      j.contains("lexicon_features") && j["lexicon_features"].is_number_integer()
          ? j["lexicon_features"].get<std::size_t>()
          : 0;
  if (declared != c.lexicon_features())
    fail(source, "\"lexicon_features\" is " + std::to_string(declared) + " but " +
                     std::to_string(c.lexicon_categories.size()) +
                     " lexicon categories need 4 features each");
  if (nlu.contains("tokenizer") && nlu["tokenizer"].is_object()) {
    const json& t = nlu["tokenizer"];
    if (t.contains("lower_case") && t["lower_case"].is_boolean())
      c.tokenizer.lower_case = t["lower_case"].get<bool>();
    if (t.contains("strip_accents") && t["strip_accents"].is_boolean())
      c.tokenizer.strip_accents = t["strip_accents"].get<bool>();
  }
  return c;
}

std::vector<TensorSpec> student_tensors(const StudentConfig& c) {
  const auto i64 = [](std::size_t n) { return static_cast<std::int64_t>(n); };
  const std::int64_t h = i64(c.hidden_size);
  std::vector<TensorSpec> out;
  out.push_back(
      {"embeddings.word_embeddings.weight", {i64(c.vocab_size), i64(c.embedding_size)}, true});
  for (std::size_t k = 0; k < c.num_layers; ++k) {
    const std::int64_t in = k == 0 ? i64(c.embedding_size + c.lexicon_features()) : 2 * h;
    for (const char* suffix : {"", "_reverse"}) {
      const std::string layer = std::to_string(k) + suffix;
      out.push_back({"lstm.weight_ih_l" + layer, {4 * h, in}, true});
      out.push_back({"lstm.weight_hh_l" + layer, {4 * h, h}, true});
      out.push_back({"lstm.bias_ih_l" + layer, {4 * h}, false});
      out.push_back({"lstm.bias_hh_l" + layer, {4 * h}, false});
    }
  }
  if (c.pooling == Pooling::kAttention) {
    const std::int64_t a = i64(c.attention_size);
    out.push_back({"attention.proj.weight", {a, 2 * h}, true});
    out.push_back({"attention.proj.bias", {a}, false});
    // A single row: nothing to gain from quantising it.
    out.push_back({"attention.context.weight", {1, a}, false});
  }
  const std::pair<const char*, std::size_t> heads[] = {
      {"domain_classifier", static_cast<std::size_t>(c.labels.domains().size())},
      {"intent_classifier", static_cast<std::size_t>(c.labels.intents().size())},
      {"slot_classifier", static_cast<std::size_t>(c.labels.tags().size())}};
  for (const auto& [name, n] : heads) {
    out.push_back({std::string(name) + ".weight", {i64(n), 2 * h}, true});
    out.push_back({std::string(name) + ".bias", {i64(n)}, false});
  }
  return out;
}

void check_tensors(const SafetensorsFile& file, const std::vector<TensorSpec>& specs, bool int8,
                   bool lexicon_image) {
  struct Expected {
    DType dtype;
    std::vector<std::int64_t> shape;
  };
  std::map<std::string, Expected, std::less<>> expected;
  for (const auto& spec : specs) {
    if (int8 && spec.quantizable) {
      expected[spec.name] = {DType::kI8, spec.shape};
      expected[scale_name(spec.name)] = {DType::kF32, {spec.shape[0]}};
    } else {
      expected[spec.name] = {DType::kF32, spec.shape};
    }
  }
  const auto describe = [](DType dtype, const std::vector<std::int64_t>& shape) {
    return std::string(dtype_name(dtype)) + " " + shape_to_string(shape);
  };
  if (lexicon_image) {
    const TensorInfo* info = file.find(kLexiconImageTensor);
    if (!info)
      fail(file.name(), "missing tensor '" + std::string(kLexiconImageTensor) + "' (I64 [n])");
    if (info->dtype != DType::kI64 || info->shape.size() != 1)
      fail(file.name(), "tensor '" + std::string(kLexiconImageTensor) +
                            "': expected I64 [n], found " + describe(info->dtype, info->shape));
  }
  for (const auto& name : file.names())
    if (!expected.count(name) && !(lexicon_image && name == kLexiconImageTensor))
      fail(file.name(), "unexpected tensor '" + name + "': not part of this architecture");
  for (const auto& [name, want] : expected) {
    const TensorInfo* info = file.find(name);
    if (!info)
      fail(file.name(), "missing tensor '" + name + "' (" + describe(want.dtype, want.shape) + ")");
    if (info->dtype != want.dtype || info->shape != want.shape)
      fail(file.name(), "tensor '" + name + "': expected " + describe(want.dtype, want.shape) +
                            ", found " + describe(info->dtype, info->shape));
  }
}

}  // namespace jointnlu::runtime
