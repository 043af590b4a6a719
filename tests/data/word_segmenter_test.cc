#include "data/word_segmenter.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/file_io.h"
#include "core/lexicon_sources.h"
#include "core/tokenizer.h"
#include "data/corpus.h"
#include "test_util.h"

namespace jointnlu {
namespace {

using testing::TempDir;

const std::vector<std::string> kVocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                         "今",    "天",    "气",    "很",    "好",
                                         "预",    "报",    "play",  "##ing", "a"};

std::vector<std::int32_t> ids_of(const Tokenizer& t, const std::string& text) {
  const auto enc = t.encode(text);
  return {enc.ids.begin(), enc.ids.end()};
}

TEST(WordSegmenter, ForwardMaximumMatching) {
  const Tokenizer t(kVocab);
  const WordSegmenter seg({"今天", "天气", "天气预报", "很好", "x"}, kVocab);
  EXPECT_EQ(seg.size(), 4u);  // "x" is a single token: a word of its own anyway
  std::vector<std::int32_t> words;
  // 今天|天气|很好; numbering continues from the id given.
  EXPECT_EQ(seg.segment(ids_of(t, "今天天气很好"), 5, words), 8);
  EXPECT_EQ(words, (std::vector<std::int32_t>{5, 5, 6, 6, 7, 7}));
  words.clear();
  // The longest match wins: 天气预报 is one word, not 天气|预|报.
  seg.segment(ids_of(t, "天气预报好"), 0, words);
  EXPECT_EQ(words, (std::vector<std::int32_t>{0, 0, 0, 0, 1}));
  words.clear();
  // A WordPiece continuation stays with its word; unknown characters are words of their own.
  seg.segment(ids_of(t, "playing a 好"), 0, words);
  EXPECT_EQ(words, (std::vector<std::int32_t>{0, 0, 1, 2}));
}

TEST(WordSegmenter, ReadsJiebaStyleListsAndNamesAMissingFile) {
  TempDir dir;
  const auto path = dir.write("words.txt", "天气 120 n\n很好\t3\tadj\n\n今天\n");
  EXPECT_EQ(WordSegmenter::read_word_list(path),
            (std::vector<std::string>{"天气", "很好", "今天"}));
  try {
    WordSegmenter::read_word_list(dir.path() + "/none.txt");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("none.txt"), std::string::npos);
  }
  if (!std::filesystem::exists(std::string(kJiebaDictionary))) {
    try {
      WordSegmenter::read_word_list(std::string(kJiebaDictionary));
      FAIL();
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find("python3-jieba"), std::string::npos);
    }
  }
}

TEST(Masking, WholeWordsAreMaskedEntirelyOrNotAtAll) {
  const Tokenizer t(kVocab);
  const TokenIds ids = TokenIds::of(t);
  const WordSegmenter seg({"今天", "天气", "天气预报", "很好"}, kVocab);
  MaskConfig config;
  config.whole_words = true;
  config.max_ngram = 2;
  std::mt19937_64 rng(5);
  std::size_t masked = 0, tokens = 0;
  for (int trial = 0; trial < 300; ++trial) {
    // [CLS] line [SEP] line [SEP], words numbered across the sequence as the pipeline does.
    Sequence s;
    s.ids = {ids.cls};
    s.words = {0};
    std::int32_t next = 1;
    for (const char* line : {"今天天气很好天气预报", "很好今天好天气"}) {
      const auto piece = ids_of(t, line);
      s.ids.insert(s.ids.end(), piece.begin(), piece.end());
      next = seg.segment(piece, next, s.words);
      s.ids.push_back(ids.sep);
      s.words.push_back(next++);
    }
    const auto words = s.words;
    mask_sequence(s, ids, config, rng);
    std::map<std::int32_t, std::pair<int, int>> per_word;  // word -> (tokens, masked)
    for (std::size_t i = 0; i < s.ids.size(); ++i) {
      auto& [n, m] = per_word[words[i]];
      ++n;
      m += s.mlm_labels[i] != kIgnoreLabel;
      masked += s.mlm_labels[i] != kIgnoreLabel;
      tokens += s.ids[i] != ids.cls && s.ids[i] != ids.sep;
    }
    for (const auto& [word, nm] : per_word)
      EXPECT_TRUE(nm.second == 0 || nm.second == nm.first) << "trial " << trial << " word " << word;
    EXPECT_EQ(s.mlm_labels.front(), kIgnoreLabel);
    EXPECT_EQ(s.mlm_labels.back(), kIgnoreLabel);
  }
  // The budget counts tokens: about 15% of them (17 per sequence: round(2.55) = 3, give or take a
  // word that did not fit).
  const double share = static_cast<double>(masked) / static_cast<double>(tokens);
  EXPECT_GT(share, 0.08);
  EXPECT_LT(share, 0.2);
  Sequence bare;
  bare.ids = {ids.cls, 5, 6, ids.sep};
  EXPECT_THROW(mask_sequence(bare, ids, config, rng), std::invalid_argument);
}

TEST(Pipeline, WordIdsFollowTheSegmenterAndSurvivePacking) {
  TempDir dir;
  const Tokenizer t(kVocab);
  const auto path = dir.write("c.txt", "今天天气很好\n天气预报\n很好今天\n今天天气很好\n");
  PipelineConfig config;
  config.max_length = 12;
  config.batch_size = 2;
  config.shuffle_buffer = 1;
  config.sop = false;
  config.mask.whole_words = true;
  config.words = std::make_shared<const WordSegmenter>(
      std::vector<std::string>{"今天", "天气", "很好", "天气预报"}, kVocab);
  PretrainPipeline pipeline({{path, 1.0}}, t, config);
  for (int i = 0; i < 5; ++i) {
    const Sequence s = pipeline.next_sequence();
    ASSERT_EQ(s.words.size(), s.ids.size());
    ASSERT_EQ(s.blocks.size(), s.ids.size());  // isolation still applies
    // Word ids never decrease, and a word never spans a [SEP].
    for (std::size_t k = 1; k < s.ids.size(); ++k) {
      EXPECT_GE(s.words[k], s.words[k - 1]);
      if (s.ids[k - 1] == t.sep_id()) {
        EXPECT_GT(s.words[k], s.words[k - 1]);
      }
    }
  }
  EXPECT_NO_THROW(pipeline.next_batch());
}

}  // namespace
}  // namespace jointnlu
