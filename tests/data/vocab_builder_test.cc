#include "data/vocab_builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/tokenizer.h"
#include "data/dataset.h"
#include "test_util.h"

namespace jointnlu {
namespace {

bool has(const std::vector<std::string>& vocab, const std::string& token) {
  return std::find(vocab.begin(), vocab.end(), token) != vocab.end();
}

std::size_t unk_count(const Tokenizer& tokenizer, const std::vector<std::string>& texts) {
  std::size_t n = 0;
  for (const auto& t : texts)
    for (const int id : tokenizer.encode(t).ids) n += id == tokenizer.unk_id();
  return n;
}

TEST(VocabBuilder, SpecialTokensComeFirstWithPadZero) {
  VocabBuilder b;
  b.add_text("你好");
  const auto vocab = b.build();
  ASSERT_GE(vocab.size(), 5u);
  EXPECT_EQ(vocab[0], "[PAD]");
  EXPECT_EQ(vocab[1], "[UNK]");
  EXPECT_EQ(vocab[2], "[CLS]");
  EXPECT_EQ(vocab[3], "[SEP]");
  EXPECT_EQ(vocab[4], "[MASK]");
  const Tokenizer tokenizer(vocab);  // valid for the tokenizer (no duplicates, specials present)
  EXPECT_EQ(tokenizer.pad_id(), 0);
}

TEST(VocabBuilder, CountThresholdAndForcedCharacters) {
  VocabBuildOptions o;
  o.min_count = 2;
  VocabBuilder b(o);
  b.add_text("天天向上");  // 天 twice, 向 and 上 once
  b.force_text("龘");      // once, but forced
  const auto vocab = b.build();
  EXPECT_TRUE(has(vocab, "天"));
  EXPECT_FALSE(has(vocab, "向"));
  EXPECT_FALSE(has(vocab, "上"));
  EXPECT_TRUE(has(vocab, "龘"));
  EXPECT_FALSE(has(vocab, "##天"));  // CJK characters are words of their own, never continuations
  // Most frequent character first after the specials.
  EXPECT_EQ(vocab[5], "天");
}

TEST(VocabBuilder, LatinLettersAndDigitsGetWordPieces) {
  VocabBuildOptions o;
  o.min_word_count = 2;
  VocabBuilder b(o);
  b.add_text("打开 WiFi 和 wifi");
  b.add_text("Café");
  const auto vocab = b.build();
  for (const char* t : {"a", "z", "0", "9", "##a", "##z", "##0", "##9", "wifi"})
    EXPECT_TRUE(has(vocab, t)) << t;
  EXPECT_FALSE(has(vocab, "cafe"));  // seen once: below min_word_count
  EXPECT_FALSE(has(vocab, "é"));     // accents are stripped as the uncased tokenizer does
  EXPECT_FALSE(has(vocab, "W"));     // lower-cased
  const Tokenizer tokenizer(vocab);
  EXPECT_EQ(tokenizer.encode("WIFI").tokens, std::vector<std::string>({"wifi"}));
  EXPECT_EQ(tokenizer.encode("café2").tokens,
            std::vector<std::string>({"c", "##a", "##f", "##e", "##2"}));
}

TEST(VocabBuilder, InvalidUtf8IsAnError) {
  VocabBuilder b;
  EXPECT_THROW(b.add_text("ab\xff"), std::invalid_argument);
}

TEST(VocabBuilder, EnsureCoverageAddsWhatTheTokenizerMisses) {
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "你"};
  const std::vector<std::string> texts = {"你好 Ωmega ！"};
  EXPECT_GT(unk_count(Tokenizer(vocab), texts), 0u);
  const std::size_t added = ensure_coverage(vocab, texts);
  EXPECT_GT(added, 0u);
  EXPECT_TRUE(has(vocab, "好"));
  EXPECT_TRUE(has(vocab, "ω"));
  EXPECT_TRUE(has(vocab, "##m"));
  EXPECT_EQ(unk_count(Tokenizer(vocab), texts), 0u);
  EXPECT_EQ(ensure_coverage(vocab, texts), 0u);  // nothing more to add
}

// The vocabulary must cover every character of the SMP2019 training set when it is forced in.
TEST(VocabBuilder, CoversSmp2019TrainingSet) {
  const std::string path = testing::shared_path("data/smp2019/train.json");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  std::vector<std::string> texts;
  for (auto& r : read_records(path)) texts.push_back(r.text);
  ASSERT_GT(texts.size(), 1000u);
  VocabBuilder b;  // no corpus at all: only the forced texts
  for (const auto& t : texts) b.force_text(t);
  auto vocab = b.build();
  // Our own normalisation already matches the tokenizer's: nothing needs adding.
  EXPECT_EQ(ensure_coverage(vocab, texts), 0u);
  EXPECT_EQ(unk_count(Tokenizer(vocab), texts), 0u);
}

}  // namespace
}  // namespace jointnlu
