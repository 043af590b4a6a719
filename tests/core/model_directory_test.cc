// A checkpoint directory's Hugging Face tokenizer_config.json: the settings it gives, the ones
// jointnlu's tokenizer cannot follow, and the file jointnlu writes reading back the same.
#include "core/model_directory.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "test_util.h"

namespace jointnlu {
namespace {

using testing::TempDir;

TokenizerOptions options_of(const TempDir& dir, const std::string& config) {
  dir.write("tokenizer_config.json", config);
  return ModelDirectory(dir.path()).hf_tokenizer_options();
}

TEST(ModelDirectory, ReadsLowerCasingAndAccentStrippingAsHuggingFaceDoes) {
  TempDir dir;
  auto o = ModelDirectory(dir.path()).hf_tokenizer_options();  // no file: uncased, accents follow
  EXPECT_TRUE(o.lower_case);
  EXPECT_FALSE(o.strip_accents.has_value());
  // A cased file: accents are kept too (strip_accents follows lower-casing).
  o = options_of(dir, R"({"do_lower_case": false, "model_max_length": 512})");
  EXPECT_FALSE(o.lower_case);
  EXPECT_FALSE(o.strip_accents.has_value());
  EXPECT_EQ(Tokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "É"}, o).encode("É").tokens,
            std::vector<std::string>{"É"});
  o = options_of(dir, R"({"do_lower_case": true, "strip_accents": false})");
  EXPECT_TRUE(o.lower_case);
  EXPECT_EQ(o.strip_accents, false);
  EXPECT_EQ(Tokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "é"}, o).encode("É").tokens,
            std::vector<std::string>{"é"});
  o = options_of(dir, R"({"do_lower_case": true, "strip_accents": null})");
  EXPECT_FALSE(o.strip_accents.has_value());
  EXPECT_EQ(Tokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "e"}, o).encode("É").tokens,
            std::vector<std::string>{"e"});
}

TEST(ModelDirectory, RefusesTokenizerSettingsItCannotFollowNamingThem) {
  TempDir dir;
  for (const char* key : {"tokenize_chinese_chars", "do_basic_tokenize"}) {
    try {
      options_of(dir, std::string(R"({")") + key + R"(": false})");
      ADD_FAILURE() << key << " false accepted";
    } catch (const ModelError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("tokenizer_config.json: ") + key),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_NO_THROW(options_of(dir, R"({"tokenize_chinese_chars": true})"));
  EXPECT_THROW(options_of(dir, R"({"strip_accents": "yes"})"), ModelError);
}

TEST(ModelDirectory, WritesATokenizerConfigThatReadsBackTheSame) {
  TempDir dir;
  for (const auto& [lower, strip] : std::vector<std::pair<bool, std::optional<bool>>>{
           {true, std::nullopt}, {false, std::nullopt}, {true, false}, {false, true}}) {
    TokenizerOptions o;
    o.lower_case = lower;
    o.strip_accents = strip;
    const auto back = options_of(dir, hf_tokenizer_config(o).dump());
    EXPECT_EQ(back.lower_case, lower);
    EXPECT_EQ(back.strip_accents, strip);
  }
}

}  // namespace
}  // namespace jointnlu
