#include "core/tokenizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/file_io.h"
#include "core/utf8.h"

namespace jointnlu {
namespace {

using Ranges = std::vector<std::pair<std::size_t, std::size_t>>;

// The five special tokens get ids 0-4; `extra` follows from id 5.
std::vector<std::string> make_vocab(const std::vector<std::string>& extra) {
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  vocab.insert(vocab.end(), extra.begin(), extra.end());
  return vocab;
}

TokenizerOptions keep_case() {
  TokenizerOptions options;
  options.lower_case = false;
  return options;
}

// A file name unique to this test and process (ctest may run tests in parallel).
std::string temp_path(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return (std::filesystem::temp_directory_path() / ("tokenizer_test_" + std::string(info->name()) +
                                                    "_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string error_of(const std::string& vocab_path) {
  try {
    Tokenizer::from_vocab_file(vocab_path);
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Tokenizer, ChineseTextIsOneTokenPerCharacter) {
  const Tokenizer tok(make_vocab({"播", "放", "音", "乐"}));
  const Encoding enc = tok.encode("播放音乐");
  EXPECT_EQ(enc.ids, (std::vector<int>{5, 6, 7, 8}));
  EXPECT_EQ(enc.tokens, (std::vector<std::string>{"播", "放", "音", "乐"}));
  EXPECT_EQ(enc.token_chars, (Ranges{{0, 1}, {1, 2}, {2, 3}, {3, 4}}));
  EXPECT_EQ(enc.char_token, (std::vector<int>{0, 1, 2, 3}));
}

TEST(Tokenizer, MixedTextSplitsLatinWordsIntoWordPieces) {
  const Tokenizer tok(make_vocab({"播", "放", "tf", "##boy", "##s", "的", "歌", "##b", "t"}));
  const Encoding enc = tok.encode("播放tfboys的歌");
  EXPECT_EQ(enc.tokens, (std::vector<std::string>{"播", "放", "tf", "##boy", "##s", "的", "歌"}));
  EXPECT_EQ(enc.ids, (std::vector<int>{5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(enc.token_chars, (Ranges{{0, 1}, {1, 2}, {2, 4}, {4, 7}, {7, 8}, {8, 9}, {9, 10}}));
  EXPECT_EQ(enc.char_token, (std::vector<int>{0, 1, 2, 2, 3, 3, 3, 4, 5, 6}));
}

TEST(Tokenizer, MapsLabelsAndSpansBetweenCharactersAndTokens) {
  const Tokenizer tok(make_vocab({"播", "放", "tf", "##boy", "##s", "的", "歌"}));
  const Encoding enc = tok.encode("播放tfboys的歌");
  // A slot over "tfboys" (characters 2-8) is tokens 2-5, and back.
  ASSERT_TRUE(enc.token_span(2, 8));
  EXPECT_EQ(*enc.token_span(2, 8), std::make_pair(std::size_t{2}, std::size_t{5}));
  EXPECT_EQ(enc.char_span(2, 5), std::make_pair(std::size_t{2}, std::size_t{8}));
  // A span starting inside a piece still takes the whole piece.
  EXPECT_EQ(*enc.token_span(5, 6), std::make_pair(std::size_t{3}, std::size_t{4}));

  const std::vector<int> char_labels = {0, 0, 1, 2, 2, 2, 2, 2, 0, 0};
  EXPECT_EQ(enc.char_values_to_tokens(char_labels, -100), (std::vector<int>{0, 0, 1, 2, 2, 0, 0}));
  const std::vector<int> token_labels = {0, 1, 2, 3, 4, 5, 6};
  EXPECT_EQ(enc.token_values_to_chars(token_labels, -1),
            (std::vector<int>{0, 1, 2, 2, 3, 3, 3, 4, 5, 6}));
}

TEST(Tokenizer, CharacterSplitAcrossTokensBelongsToTheFirst) {
  // Accent stripping decomposes 한 into three jamo, which WordPiece may cut apart: both tokens
  // cover the one character, whose label goes to the first token only.
  const Tokenizer tok(make_vocab({"\u1112", "##\u1161\u11ab", "播"}));
  const Encoding enc = tok.encode("한 播");
  EXPECT_EQ(enc.tokens, (std::vector<std::string>{"\u1112", "##\u1161\u11ab", "播"}));
  EXPECT_EQ(enc.token_chars, (Ranges{{0, 1}, {0, 1}, {2, 3}}));
  EXPECT_EQ(enc.char_token, (std::vector<int>{0, -1, 2}));
  EXPECT_EQ(enc.char_values_to_tokens(std::vector<int>{7, 0, 8}, -100),
            (std::vector<int>{7, -100, 8}));
  EXPECT_EQ(*enc.token_span(0, 1), std::make_pair(std::size_t{0}, std::size_t{2}));
  EXPECT_FALSE(enc.token_span(1, 2));  // only the space
  EXPECT_EQ(enc.char_span(0, 2), std::make_pair(std::size_t{0}, std::size_t{1}));
}

TEST(Tokenizer, SplitsPunctuationIntoSingleCharacters) {
  const Tokenizer tok(make_vocab({"你", "好", "，", "world", "!", "a", ".", "b", "$", "5"}));
  const Encoding enc = tok.encode("你好，world!a.b$5");
  EXPECT_EQ(enc.tokens,
            (std::vector<std::string>{"你", "好", "，", "world", "!", "a", ".", "b", "$", "5"}));
  EXPECT_EQ(enc.token_chars, (Ranges{{0, 1},
                                     {1, 2},
                                     {2, 3},
                                     {3, 8},
                                     {8, 9},
                                     {9, 10},
                                     {10, 11},
                                     {11, 12},
                                     {12, 13},
                                     {13, 14}}));
}

TEST(Tokenizer, DropsWhitespaceAndControlCharacters) {
  const Tokenizer tok(make_vocab({"播", "放", "音", "乐", "abcd"}));
  const Encoding enc = tok.encode(" 播 放\t音\u3000乐\n");
  EXPECT_EQ(enc.tokens, (std::vector<std::string>{"播", "放", "音", "乐"}));
  EXPECT_EQ(enc.token_chars, (Ranges{{1, 2}, {3, 4}, {5, 6}, {7, 8}}));
  EXPECT_EQ(enc.char_token, (std::vector<int>{-1, 0, -1, 1, -1, 2, -1, 3, -1}));

  // A zero-width space (category Cf) vanishes without splitting the word, as in HF.
  const Encoding joined = tok.encode("ab\u200bcd");
  EXPECT_EQ(joined.tokens, (std::vector<std::string>{"abcd"}));
  EXPECT_EQ(joined.token_chars, (Ranges{{0, 5}}));
  EXPECT_EQ(joined.char_token, (std::vector<int>{0, 0, -1, 0, 0}));

  EXPECT_TRUE(tok.encode("").ids.empty());
  const Encoding blank = tok.encode(" \t ");
  EXPECT_TRUE(blank.ids.empty());
  EXPECT_EQ(blank.char_token, (std::vector<int>{-1, -1, -1}));
}

TEST(Tokenizer, LowerCasesByDefault) {
  const std::vector<std::string> vocab = make_vocab({"iphone", "iPhone"});
  const Encoding lower = Tokenizer(vocab).encode("iPhone");
  EXPECT_EQ(lower.tokens, (std::vector<std::string>{"iphone"}));
  EXPECT_EQ(lower.token_chars, (Ranges{{0, 6}}));

  const Encoding cased = Tokenizer(vocab, keep_case()).encode("iPhone");
  EXPECT_EQ(cased.tokens, (std::vector<std::string>{"iPhone"}));

  // HF lower-cases character by character, so a word-final capital sigma does not take the final
  // form that Python's str.lower() would give the whole word; Turkish İ becomes i + U+0307.
  const Tokenizer greek(make_vocab({"σοφοσ", "σοφος", "i", "i\u0307"}));
  EXPECT_EQ(greek.encode("ΣΟΦΟΣ").tokens, (std::vector<std::string>{"σοφοσ"}));
  EXPECT_EQ(greek.encode("İ").tokens, (std::vector<std::string>{"i"}));
  TokenizerOptions lower_only;
  lower_only.strip_accents = false;
  EXPECT_EQ(Tokenizer(make_vocab({"i\u0307"}), lower_only).encode("İ").tokens,
            (std::vector<std::string>{"i\u0307"}));
}

TEST(Tokenizer, StripsAccentsAndKeepsAlignment) {
  const Tokenizer tok(make_vocab({"cafe", "caf", "##e", "e"}));
  const Encoding enc = tok.encode("Café");
  EXPECT_EQ(enc.tokens, (std::vector<std::string>{"cafe"}));
  EXPECT_EQ(enc.token_chars, (Ranges{{0, 4}}));
  EXPECT_EQ(enc.char_token, (std::vector<int>{0, 0, 0, 0}));

  // 'É' becomes 'e' and still covers its one character.
  const Encoding single = tok.encode("É");
  EXPECT_EQ(single.tokens, (std::vector<std::string>{"e"}));
  EXPECT_EQ(single.token_chars, (Ranges{{0, 1}}));

  // A decomposed accent (e + U+0301) is part of its letter: the token covers both characters.
  const Encoding decomposed = tok.encode("Cafe\u0301 cafe");
  EXPECT_EQ(decomposed.tokens, (std::vector<std::string>{"cafe", "cafe"}));
  EXPECT_EQ(decomposed.token_chars, (Ranges{{0, 5}, {6, 10}}));
  EXPECT_EQ(decomposed.char_token, (std::vector<int>{0, 0, 0, 0, 0, -1, 1, 1, 1, 1}));

  // Pieces split at the accented letter keep their own characters.
  const Tokenizer pieces(make_vocab({"caf", "##e"}));
  const Encoding split = pieces.encode("CAFÉ");
  EXPECT_EQ(split.tokens, (std::vector<std::string>{"caf", "##e"}));
  EXPECT_EQ(split.token_chars, (Ranges{{0, 3}, {3, 4}}));

  // strip_accents = false keeps them (HF semantics: only lower-cased).
  TokenizerOptions keep_accents;
  keep_accents.strip_accents = false;
  const Tokenizer keep(make_vocab({"café"}), keep_accents);
  EXPECT_EQ(keep.encode("CAFÉ").tokens, (std::vector<std::string>{"café"}));
}

TEST(Tokenizer, ComposesToNfcLikeHuggingFace) {
  // Without lower-casing, HF still applies NFC: e + U+0301 is one character 'é' covering both,
  // and a CJK compatibility ideograph becomes its unified form.
  const Tokenizer tok(make_vocab({"é", "\u8c48"}), keep_case());
  const Encoding enc = tok.encode("e\u0301\uf900");
  EXPECT_EQ(enc.tokens, (std::vector<std::string>{"é", "\u8c48"}));
  EXPECT_EQ(enc.token_chars, (Ranges{{0, 2}, {2, 3}}));
  EXPECT_EQ(enc.char_token, (std::vector<int>{0, 0, 1}));
}

TEST(Tokenizer, UnknownWordBecomesOneUnkCoveringTheWord) {
  const Tokenizer tok(make_vocab({"播", "放", "的", "xy"}));
  const Encoding enc = tok.encode("播放xyz的");  // "xy" matches, but nothing matches "##z"
  EXPECT_EQ(enc.tokens, (std::vector<std::string>{"播", "放", "[UNK]", "的"}));
  EXPECT_EQ(enc.ids[2], tok.unk_id());
  EXPECT_EQ(enc.token_chars, (Ranges{{0, 1}, {1, 2}, {2, 5}, {5, 6}}));
  EXPECT_EQ(enc.char_token, (std::vector<int>{0, 1, 2, 2, 2, 3}));

  // An unknown CJK character is an [UNK] of its own.
  EXPECT_EQ(tok.encode("播龘").tokens, (std::vector<std::string>{"播", "[UNK]"}));
}

TEST(Tokenizer, WordLongerThanTheLimitIsUnk) {
  const Tokenizer tok(make_vocab({"a", "##a"}));
  const Encoding at_limit = tok.encode(std::string(100, 'a'));
  EXPECT_EQ(at_limit.ids.size(), 100u);
  EXPECT_EQ(at_limit.tokens[1], "##a");

  const Encoding over = tok.encode(std::string(101, 'a') + " a");
  EXPECT_EQ(over.tokens, (std::vector<std::string>{"[UNK]", "a"}));
  EXPECT_EQ(over.token_chars, (Ranges{{0, 101}, {102, 103}}));

  TokenizerOptions short_words;
  short_words.max_chars_per_word = 3;
  const Tokenizer small(make_vocab({"a", "##a"}), short_words);
  EXPECT_EQ(small.encode("aaaa aaa").tokens,
            (std::vector<std::string>{"[UNK]", "a", "##a", "##a"}));
}

TEST(Tokenizer, LooksUpTokensAndSpecialIds) {
  const Tokenizer tok(make_vocab({"播"}));
  EXPECT_EQ(tok.vocab_size(), 6u);
  EXPECT_EQ(tok.pad_id(), 0);
  EXPECT_EQ(tok.unk_id(), 1);
  EXPECT_EQ(tok.cls_id(), 2);
  EXPECT_EQ(tok.sep_id(), 3);
  EXPECT_EQ(tok.mask_id(), 4);
  EXPECT_EQ(tok.token_id("播"), 5);
  EXPECT_EQ(tok.token_id("放"), -1);
  EXPECT_EQ(tok.token(5), "播");
  EXPECT_THROW(tok.token(6), std::out_of_range);
  EXPECT_THROW(tok.token(-1), std::out_of_range);
  // User text is plain text: a typed "[SEP]" is not the separator token.
  EXPECT_NE(tok.encode("[SEP]").ids, (std::vector<int>{tok.sep_id()}));
}

TEST(Tokenizer, RejectsBadVocabFilesNamingFileAndLine) {
  const std::string missing = temp_path("missing.txt");
  write_file_atomic(missing, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n播\n");
  std::string error = error_of(missing);
  EXPECT_NE(error.find(missing), std::string::npos) << error;
  EXPECT_NE(error.find("missing special token [MASK]"), std::string::npos) << error;

  const std::string duplicate = temp_path("duplicate.txt");
  write_file_atomic(duplicate, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n播\n放\n播\n");
  error = error_of(duplicate);
  EXPECT_NE(error.find(duplicate + ": line 8"), std::string::npos) << error;
  EXPECT_NE(error.find("duplicate token \"播\" (first on line 6)"), std::string::npos) << error;

  const std::string empty_line = temp_path("empty_line.txt");
  write_file_atomic(empty_line, "[PAD]\n[UNK]\n\n[CLS]\n[SEP]\n[MASK]\n");
  error = error_of(empty_line);
  EXPECT_NE(error.find(empty_line + ": line 3"), std::string::npos) << error;
  EXPECT_NE(error.find("empty line"), std::string::npos) << error;

  const std::string bad_utf8 = temp_path("bad_utf8.txt");
  write_file_atomic(bad_utf8, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nab\xff\n");
  error = error_of(bad_utf8);
  EXPECT_NE(error.find(bad_utf8 + ": line 6"), std::string::npos) << error;

  EXPECT_THROW(Tokenizer::from_vocab_file(temp_path("absent.txt")), IoError);
  EXPECT_THROW(Tokenizer(make_vocab({"[PAD]"})), DataError);
  for (const auto& path : {missing, duplicate, empty_line, bad_utf8}) std::filesystem::remove(path);
}

TEST(Tokenizer, SaveVocabRoundTrips) {
  const Tokenizer tok(make_vocab({"播", "放", "tf", "##boy", "##s", "é"}));
  const std::string path = temp_path("vocab.txt");
  tok.save_vocab(path);
  const Tokenizer loaded = Tokenizer::from_vocab_file(path);
  EXPECT_EQ(loaded.vocab(), tok.vocab());
  EXPECT_EQ(loaded.encode("播放tfboys").ids, tok.encode("播放tfboys").ids);
  EXPECT_EQ(read_file(path), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n播\n放\ntf\n##boy\n##s\né\n");

  // Windows line ends and a missing final newline read the same (Python's universal newlines).
  write_file_atomic(path, "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[MASK]\r\n播");
  EXPECT_EQ(Tokenizer::from_vocab_file(path).vocab(), make_vocab({"播"}));
  std::filesystem::remove(path);
}

TEST(Tokenizer, RejectsInvalidUtf8) {
  const Tokenizer tok(make_vocab({"a"}));
  try {
    tok.encode(std::string("ab\xff", 3));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("byte 2"), std::string::npos) << e.what();
  }
}

// Every text of the SMP2019 training set: with a vocabulary holding all its characters, the
// tokens must cover each non-whitespace character exactly once and in order.
TEST(Tokenizer, AlignsEverySmp2019TrainingText) {
  const std::string path = JOINTNLU_SHARED_DIR "/data/smp2019/train.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  const nlohmann::json records = nlohmann::json::parse(read_file(path));
  std::vector<std::string> texts;
  for (const auto& record : records) texts.push_back(record.at("text").get<std::string>());
  ASSERT_GT(texts.size(), 1000u);

  std::set<std::string> extra;
  for (const std::string& text : texts) {
    const auto decoded = decode_utf8(text);
    ASSERT_TRUE(decoded) << text;
    for (char32_t cp : decoded->chars) {
      if (is_whitespace(cp)) continue;
      if (cp < 0x80 && std::isalnum(static_cast<int>(cp))) cp = std::tolower(static_cast<int>(cp));
      std::string s;
      append_utf8(s, cp);
      extra.insert(s);
      if (!is_cjk(cp) && !is_punctuation(cp)) extra.insert("##" + s);
    }
  }
  const Tokenizer tok(make_vocab(std::vector<std::string>(extra.begin(), extra.end())));

  std::size_t tokens = 0;
  for (const std::string& text : texts) {
    const Encoding enc = tok.encode(text);
    const auto decoded = decode_utf8(text);
    const std::vector<char32_t>& chars = decoded->chars;
    ASSERT_EQ(enc.char_token.size(), chars.size()) << text;
    ASSERT_EQ(enc.tokens.size(), enc.ids.size()) << text;
    ASSERT_EQ(enc.token_chars.size(), enc.ids.size()) << text;
    std::size_t c = 0;
    for (std::size_t t = 0; t < enc.ids.size(); ++t) {
      EXPECT_NE(enc.ids[t], tok.unk_id()) << text;
      while (c < chars.size() && is_whitespace(chars[c])) ++c;
      const auto [begin, end] = enc.token_chars[t];
      ASSERT_EQ(begin, c) << text << ": token " << t;
      ASSERT_LT(begin, end) << text;
      for (; c < end; ++c) {
        ASSERT_FALSE(is_whitespace(chars[c])) << text;
        ASSERT_EQ(enc.char_token[c], static_cast<int>(t)) << text << ": character " << c;
      }
    }
    while (c < chars.size() && is_whitespace(chars[c])) ++c;
    EXPECT_EQ(c, chars.size()) << text << ": characters after the last token";
    for (std::size_t i = 0; i < chars.size(); ++i)
      EXPECT_EQ(enc.char_token[i] < 0, is_whitespace(chars[i])) << text << ": character " << i;
    tokens += enc.ids.size();
  }
  EXPECT_GT(tokens, texts.size());
}

}  // namespace
}  // namespace jointnlu
